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

    /** A listener that tells each of {@code listeners}, in order, isolating them from each other's failures. */
    static SyncListener all(java.util.List<SyncListener> listeners) {
        java.util.List<SyncListener> copy = java.util.List.copyOf(listeners);
        return new SyncListener() {
            @Override
            public void published(String subvolume, GenerationStats stats) {
                for (SyncListener l : copy) {
                    try {
                        l.published(subvolume, stats);
                    } catch (RuntimeException e) {
                        org.slf4j.LoggerFactory.getLogger(SyncListener.class).error("{}: listener failed", subvolume, e);
                    }
                }
            }

            @Override
            public void failed(String subvolume, Exception error) {
                for (SyncListener l : copy) {
                    try {
                        l.failed(subvolume, error);
                    } catch (RuntimeException e) {
                        org.slf4j.LoggerFactory.getLogger(SyncListener.class).error("{}: listener failed", subvolume, e);
                    }
                }
            }
        };
    }

    /** A new generation was published and is now served. */
    default void published(String subvolume, GenerationStats stats) {
    }

    /** A sync failed; the published generation is unchanged. */
    default void failed(String subvolume, Exception error) {
    }
}
