package io.cloudmirror.sync;

import io.cloudmirror.index.GenerationStats;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.LoggerFactory;

/**
 * Hears about syncs of one subvolume: the place to hook kernel cache invalidation, prefetch and metrics.
 * Called on the syncing thread; implementations must not block for long and must not throw.
 */
public interface SyncListener {

    /** A listener that does nothing. */
    SyncListener NONE = new SyncListener() {
    };

    /** A listener that tells each of {@code listeners}, in order, isolating them from each other's failures. */
    static SyncListener all(List<SyncListener> listeners) {
        List<SyncListener> copy = List.copyOf(listeners);
        return new SyncListener() {
            @Override
            public void started(String subvolume) {
                tellEach(copy, subvolume, l -> l.started(subvolume));
            }

            @Override
            public void published(String subvolume, GenerationStats stats) {
                tellEach(copy, subvolume, l -> l.published(subvolume, stats));
            }

            @Override
            public void failed(String subvolume, Exception error) {
                tellEach(copy, subvolume, l -> l.failed(subvolume, error));
            }
        };
    }

    private static void tellEach(List<SyncListener> listeners, String subvolume, Consumer<SyncListener> call) {
        for (SyncListener l : listeners) {
            try {
                call.accept(l);
            } catch (RuntimeException e) {
                LoggerFactory.getLogger(SyncListener.class).error("{}: a sync listener failed", subvolume, e);
            }
        }
    }

    /** A sync started listing. */
    default void started(String subvolume) {
    }

    /** A new generation was published and is now served. */
    default void published(String subvolume, GenerationStats stats) {
    }

    /** A sync failed; the published generation is unchanged. */
    default void failed(String subvolume, Exception error) {
    }
}
