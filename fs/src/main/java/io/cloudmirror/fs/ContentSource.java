package io.cloudmirror.fs;

import io.cloudmirror.origin.OriginException;
import java.nio.ByteBuffer;

/** Where file bytes come from: the origin directly, or the block cache in front of it. Thread-safe. */
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
}
