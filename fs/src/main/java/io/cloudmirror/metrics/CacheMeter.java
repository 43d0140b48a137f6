package io.cloudmirror.metrics;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;

/**
 * The block cache's hit and miss counters of one subvolume ({@code cloudmirror_cache_hits_total} and
 * {@code cloudmirror_cache_misses_total}): the seam the block cache counts into. Thread-safe.
 */
public final class CacheMeter {

    private final CounterDataPoint hits;
    private final CounterDataPoint misses;

    CacheMeter(CounterDataPoint hits, CounterDataPoint misses) {
        this.hits = hits;
        this.misses = misses;
    }

    /** A block was found in the cache. */
    public void hit() {
        hits.inc();
    }

    /** A block was not in the cache and had to be fetched. */
    public void miss() {
        misses.inc();
    }
}
