package io.cloudmirror.cli;

import java.time.Duration;

/**
 * What status, sync progress and live configuration edits see of one subvolume's block cache: the seam
 * the block cache plugs into. {@link #NONE} (no block cache) reports nothing cached, no prefetch, and cannot
 * be resized. Implementations are thread-safe and answer at once.
 */
interface CacheView {

    /** No block cache. */
    CacheView NONE = () -> 0;

    /** Bytes the block cache holds on disk. */
    long cachedBytes();

    /** Where the prefetch that follows a publish stands. */
    default Prefetch prefetch() {
        return Prefetch.IDLE;
    }

    /**
     * Applies a new {@code spec.cache.maxSize} while mounted, if the cache can.
     *
     * @return false if a remount is needed for it
     */
    default boolean resize(long maxBytes) {
        return false;
    }

    /**
     * Prefetch progress.
     *
     * @param running  whether a prefetch pass runs
     * @param done     bytes fetched by it so far
     * @param total    bytes it means to fetch
     * @param elapsed  since it started
     */
    record Prefetch(boolean running, long done, long total, Duration elapsed) {
        static final Prefetch IDLE = new Prefetch(false, 0, 0, Duration.ZERO);
    }
}
