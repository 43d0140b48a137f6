package io.cloudmirror.blocks;

/**
 * A snapshot of one block cache's counters, for status and metrics. Immutable.
 *
 * @param limitBytes     the hard limit ({@code spec.cache.maxSize})
 * @param usedBytes      bytes of block files on disk, in allocation units
 * @param reservedBytes  bytes reserved by fills in progress
 * @param blocks         block files present
 * @param hits           block reads served from disk
 * @param misses         block reads that found no block file
 * @param fills          blocks written
 * @param fillFailures   blocks that could not be written (disk full, I/O error); served uncached
 * @param fillsRefused   blocks not written because they did not fit (everything else pinned, or prefetch)
 * @param evictions      blocks evicted to make room
 * @param corrupt        block files found corrupt or truncated, dropped and refetched
 */
public record CacheStats(long limitBytes, long usedBytes, long reservedBytes, long blocks, long hits, long misses,
                         long fills, long fillFailures, long fillsRefused, long evictions, long corrupt) {
}
