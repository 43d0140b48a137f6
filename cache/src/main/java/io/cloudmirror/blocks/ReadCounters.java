package io.cloudmirror.blocks;

/**
 * A snapshot of the read path's counters, for status, metrics and tests. Immutable.
 *
 * @param reads           read calls served
 * @param originRequests  ranged GETs sent to the origin
 * @param originBytes     bytes received from the origin
 * @param originFailures  GETs that failed
 * @param readaheadBlocks blocks requested ahead of the reader
 * @param diskLoads       whole blocks loaded from the cache disk ahead of the reader
 * @param joins           block loads shared by a second reader instead of fetched again
 * @param md5Verified     whole-blob fetches whose Content-MD5 matched
 * @param md5Mismatches   whole-blob fetches whose Content-MD5 did not match (not cached, refetched)
 * @param timeouts        reads failed because their bytes did not arrive within the read timeout
 * @param buffersInUse    block buffers held right now
 */
public record ReadCounters(long reads, long originRequests, long originBytes, long originFailures,
                           long readaheadBlocks, long diskLoads, long joins, long md5Verified, long md5Mismatches,
                           long timeouts, int buffersInUse) {
}
