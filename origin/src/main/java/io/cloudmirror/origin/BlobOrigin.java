package io.cloudmirror.origin;

import java.nio.ByteBuffer;

/**
 * The only door to the cloud: lists a container and reads byte ranges of one version of a blob.
 *
 * <p>Implementations are thread-safe: listing, reads and probes may run concurrently from many
 * threads. Every failure is reported as one of the {@link OriginException} kinds, never as an
 * SDK-specific exception, so callers map failures without knowing which cloud is behind.
 */
public interface BlobOrigin extends AutoCloseable {

    /** A short human name of what this origin serves, e.g. {@code devstoreaccount1/media}; never a secret. */
    String displayName();

    /**
     * Lists every blob whose name starts with {@code prefix} (flat, no delimiter), handing each one to
     * {@code sink} as the listing pages arrive. Order is the origin's; callers must not rely on it.
     *
     * @throws OriginException if the listing cannot be completed; items already handed over stay valid
     */
    void list(String prefix, BlobSink sink) throws OriginException;

    /**
     * Reads up to {@code dst.remaining()} bytes of blob {@code name} starting at {@code offset}, only if
     * the blob still has ETag {@code etag}. Fills {@code dst} fully unless the end of the blob comes first.
     *
     * @return the number of bytes read, 0 at or past the end of the blob
     * @throws OriginException.VersionGone if the blob was changed or deleted since that ETag was listed
     */
    int read(String name, String etag, long offset, ByteBuffer dst) throws OriginException;

    /**
     * Reads consecutive bytes of blob {@code name}, pinned to {@code etag} like {@link #read}, into several
     * buffers in turn: {@code dsts[0]} is filled first, then {@code dsts[1]}, and so on, until all are full or
     * the blob ends. Implementations should do this in one request (one ranged GET for the whole span), which
     * is what block fetches rely on for throughput; the default reads each buffer with {@link #read}.
     *
     * <p>After an exception the buffers' contents and positions are unspecified.
     *
     * @return the number of bytes read in total, 0 at or past the end of the blob
     * @throws OriginException.VersionGone if the blob was changed or deleted since that ETag was listed
     */
    default long read(String name, String etag, long offset, ByteBuffer[] dsts) throws OriginException {
        long total = 0;
        for (ByteBuffer dst : dsts) {
            if (!dst.hasRemaining()) {
                continue;
            }
            total += read(name, etag, offset + total, dst);
            if (dst.hasRemaining()) {
                break; // the blob ended
            }
        }
        return total;
    }

    /** Checks whether the container can be reached and listed with the configured credentials. */
    Probe probe();

    /** Releases connections and threads. */
    @Override
    void close();

    /** Receives listed blobs. */
    @FunctionalInterface
    interface BlobSink {
        /** Takes one listed blob; an exception thrown here aborts the listing and propagates. */
        void accept(BlobItem item) throws java.io.IOException;
    }
}
