package io.cloudmirror.blocks;

import io.cloudmirror.origin.BlobOrigin;
import io.cloudmirror.origin.OriginException;
import java.nio.ByteBuffer;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The read path of one subvolume: blob content served through its {@link BlockCache}, fetched from its
 * {@link BlobOrigin} on a miss. {@link #open} gives each open file a {@link BlobReader} with its own
 * readahead; all readers share the block loads in flight, the buffers (the memory bound) and the fetch
 * threads.
 *
 * <p>Thread-safe.
 */
public final class CachedContent implements AutoCloseable {

    private final BlockCache cache;
    private final ReadSettings settings;
    private final BufferPool pool;
    private final ReadStats stats = new ReadStats();
    private final BlockLoader loader;
    private final ExecutorService fetchPool;
    private final ExecutorService diskPool;

    /**
     * @param fetchPool runs ranged GETs; should have {@link ReadSettings#fetchThreads()} threads
     * @param diskPool  runs block loads from the cache disk; should have {@link ReadSettings#diskThreads()} threads
     */
    public CachedContent(BlobOrigin origin, BlockCache cache, ReadSettings settings, ExecutorService fetchPool,
                         ExecutorService diskPool) {
        this.cache = cache;
        this.settings = settings;
        this.pool = new BufferPool(settings.blockSize(), settings.buffers());
        this.fetchPool = fetchPool;
        this.diskPool = diskPool;
        this.loader = new BlockLoader(origin, cache, pool, settings, fetchPool, diskPool, stats);
    }

    /** A read path with its own daemon threads, named after subvolume {@code name}; {@link #close} stops them. */
    public static CachedContent create(String name, BlobOrigin origin, BlockCache cache, ReadSettings settings) {
        return new CachedContent(origin, cache, settings,
                Executors.newFixedThreadPool(settings.fetchThreads(), threads("fetch-" + name)),
                Executors.newFixedThreadPool(settings.diskThreads(), threads("cache-" + name)));
    }

    private static ThreadFactory threads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * Opens version {@code etag} of blob {@code name} for reading: the version stays pinned in the cache
     * (its blocks are not evicted) until the reader is closed.
     *
     * @param size the version's size
     * @param md5  its Content-MD5, or null; checked whenever the whole blob arrives in one GET
     */
    public BlobReader open(String name, String etag, long size, byte[] md5) {
        return open(name, etag, size, md5, true);
    }

    private BlobReader open(String name, String etag, long size, byte[] md5, boolean readahead) {
        BlobKey key = BlobKey.of(name, etag);
        cache.pin(key);
        return new BlobReader(ref(key, size, md5), loader, cache, settings, stats, readahead, () -> cache.unpin(key));
    }

    /**
     * Reads bytes of one version at {@code offset} into {@code dst} without readahead, for one-off reads.
     *
     * @return bytes read, 0 at or past the end
     */
    public int read(String name, String etag, long size, long offset, ByteBuffer dst) throws OriginException {
        try (BlobReader r = open(name, etag, size, null, false)) {
            return r.read(offset, dst);
        }
    }

    BlobRef ref(BlobKey key, long size, byte[] md5) {
        return new BlobRef(key, size, md5 == null ? null : md5.clone(), settings.blockSize());
    }

    public BlockCache cache() {
        return cache;
    }

    public ReadSettings settings() {
        return settings;
    }

    /** The read path's counters now. */
    public ReadCounters counters() {
        return stats.snapshot(pool.inUse());
    }

    BlockLoader loader() {
        return loader;
    }

    ReadStats stats() {
        return stats;
    }

    /**
     * Stops: loads still queued fail, loads running get a few seconds to finish and store their blocks,
     * then the threads are interrupted. Readers must not be used afterwards.
     */
    @Override
    public void close() {
        loader.close();
        fetchPool.shutdown();
        diskPool.shutdown();
        try {
            if (!fetchPool.awaitTermination(3, TimeUnit.SECONDS)) {
                fetchPool.shutdownNow();
            }
            if (!diskPool.awaitTermination(3, TimeUnit.SECONDS)) {
                diskPool.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fetchPool.shutdownNow();
            diskPool.shutdownNow();
        }
    }
}
