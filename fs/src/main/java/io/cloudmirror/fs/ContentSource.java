package io.cloudmirror.fs;

import io.cloudmirror.origin.OriginException;
import java.nio.ByteBuffer;

/**
 * Where file bytes come from: the origin directly, or the block cache in front of it. Thread-safe.
 *
 * <p>The core opens a {@link Reader} per open file ({@link #open}), so that a source can keep per-file
 * state (readahead, the version pinned in its cache) until the file is released. A source that needs no
 * such state implements {@link #read} alone.
 */
@FunctionalInterface
public interface ContentSource {
    /**
     * Reads bytes of one version of a blob into {@code dst}, starting at {@code offset}.
     *
     * @param name   blob name
     * @param etag   the version the handle was opened on
     * @param size   that version's size
     * @param offset where to start
     * @param dst    where to put the bytes; filled unless the blob ends first
     * @return bytes read, 0 at the end of the blob
     */
    int read(String name, String etag, long size, long offset, ByteBuffer dst) throws OriginException;

    /**
     * Opens one version of a blob for the reads of one open file; the default reads through {@link #read}.
     *
     * @param contentMd5 the version's Content-MD5, or null
     */
    default Reader open(String name, String etag, long size, byte[] contentMd5) {
        return new Reader() {
            @Override
            public int read(long offset, ByteBuffer dst) throws OriginException {
                return ContentSource.this.read(name, etag, size, offset, dst);
            }

            @Override
            public void close() {
            }
        };
    }

    /** The reads of one open file. Thread-safe: the kernel reads one file from several threads at once. */
    interface Reader extends AutoCloseable {
        /** Reads bytes at {@code offset} into {@code dst}; returns how many, 0 at the end of the blob. */
        int read(long offset, ByteBuffer dst) throws OriginException;

        /** The file was released; reads are over. */
        @Override
        void close();
    }
}
