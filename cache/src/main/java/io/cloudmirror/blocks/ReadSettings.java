package io.cloudmirror.blocks;

import java.time.Duration;
import java.util.Objects;

/**
 * How the read path fetches and caches: block size, read timeout, readahead window, request size, thread
 * counts and the memory bound. Immutable; see the package documentation for why the defaults are what
 * they are.
 *
 * @param blockSize           bytes per cached block (a multiple of 64 KiB)
 * @param readTimeout         the longest a read waits for bytes it needs before failing with EIO
 * @param initialWindow       readahead window, in blocks, when a sequential read starts or after a seek
 * @param maxWindow           the largest readahead window, in blocks
 * @param maxRun              the most blocks fetched by one ranged GET
 * @param fetchThreads        concurrent GETs to the origin
 * @param diskThreads         concurrent block loads from the cache disk for readahead
 * @param memoryBytes         bound on block buffers in memory (readahead, fetches in flight)
 * @param prefetchParallelism blobs prefetched at the same time
 */
public record ReadSettings(int blockSize, Duration readTimeout, int initialWindow, int maxWindow, int maxRun,
                           int fetchThreads, int diskThreads, long memoryBytes, int prefetchParallelism) {

    public static final int DEFAULT_BLOCK_SIZE = 1 << 20;
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(10);

    public ReadSettings {
        Objects.requireNonNull(readTimeout, "readTimeout");
        if (blockSize < BlockFormat.CHUNK || blockSize % BlockFormat.CHUNK != 0 || blockSize > (64 << 20)) {
            throw new IllegalArgumentException("block size must be a multiple of 64 KiB up to 64 MiB, got " + blockSize);
        }
        if (readTimeout.isNegative() || readTimeout.isZero()) {
            throw new IllegalArgumentException("read timeout must be positive, got " + readTimeout);
        }
        if (initialWindow < 1 || maxWindow < initialWindow || maxRun < 1 || fetchThreads < 1 || diskThreads < 1
                || prefetchParallelism < 1) {
            throw new IllegalArgumentException("windows, run length and thread counts must be at least 1");
        }
        if (memoryBytes < 4L * blockSize) {
            throw new IllegalArgumentException("memory bound must hold at least 4 blocks, got " + memoryBytes);
        }
    }

    /**
     * The defaults: 1 MiB blocks, 10 s read timeout, readahead from 1 to 64 blocks, GETs of up to 8 blocks,
     * 8 concurrent GETs, 2 disk loaders, 128 MiB of buffers, 8 blobs prefetched at once.
     */
    public static ReadSettings defaults() {
        return new ReadSettings(DEFAULT_BLOCK_SIZE, DEFAULT_READ_TIMEOUT, 1, 64, 8, 8, 2, 128L << 20, 8);
    }

    /** These settings with another read timeout. */
    public ReadSettings withReadTimeout(Duration timeout) {
        return new ReadSettings(blockSize, timeout, initialWindow, maxWindow, maxRun, fetchThreads, diskThreads,
                memoryBytes, prefetchParallelism);
    }

    /** Buffers the memory bound allows. */
    int buffers() {
        return (int) Math.min(Integer.MAX_VALUE, memoryBytes / blockSize);
    }
}
