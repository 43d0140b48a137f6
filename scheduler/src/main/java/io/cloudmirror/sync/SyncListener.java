package io.cloudmirror.sync;

import io.cloudmirror.index.GenerationStats;

/**
 * Hears about syncs of one subvolume: the place to hook kernel cache invalidation, prefetch and metrics.
 * Called on the syncing thread; implementations must not block for long and must not throw.
 */
public interface SyncListener {

    /** A listener that does nothing. */
    SyncListener NONE = new SyncListener() {
    };

    /** A new generation was published and is now served. */
    default void published(String subvolume, GenerationStats stats) {
    }

    /** A sync failed; the published generation is unchanged. */
    default void failed(String subvolume, Exception error) {
    }
}
