package io.cloudmirror.blocks;

import io.cloudmirror.index.Generation;
import io.cloudmirror.index.IndexStore;
import io.cloudmirror.origin.OriginException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the block cache in step with the published tree of one subvolume, in the background: after each
 * publish ({@link #request()}) it drops the blocks of versions the tree no longer holds (replaced or deleted
 * blobs, unless an open file still reads them) and, with {@code prefetch: all}, downloads every blob whose
 * version is not fully cached, as far as free space allows. Prefetch never evicts anything: a container
 * larger than the cache gets what fits, the rest is read on demand.
 *
 * <p>Downloads run {@link ReadSettings#prefetchParallelism()} blobs at a time, each as ranged GETs of up to
 * {@link ReadSettings#maxRun()} blocks, through the same single-flight loader as reads, so a reader never
 * fetches a block the prefetch is already fetching. A blob with a Content-MD5 is verified when all of it
 * was downloaded here; a mismatch drops its blocks. A pass stops at the first sign that the origin is
 * unreachable or refuses; the next publish tries again.
 *
 * <p>Requests coalesce: one pass runs at a time, and requests during a pass cause one more pass after it.
 * The file list is walked in batches of {@value #BATCH} so memory stays flat for large containers.
 *
 * <p>Thread-safe; {@link #progress()} may be read at any time (for status and progress displays).
 */
public final class Prefetcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Prefetcher.class);
    static final int BATCH = 20_000;
    /** Consecutive failed blobs that stop a pass. */
    static final int FAILURES_IN_A_ROW = 16;
    /** Failed blobs in a row that are logged one by one. */
    private static final int LOGGED_FAILURES = 3;
    private static final long BLOCK_WAIT_NANOS = TimeUnit.MINUTES.toNanos(5);

    private final String name;
    private final IndexStore index;
    private final CachedContent content;
    private final boolean download;
    private final ExecutorService runner;
    private final ExecutorService workers;
    private final Clock clock;
    private boolean running;
    private boolean again;
    private boolean closed;

    private final AtomicLong passes = new AtomicLong();
    private final AtomicLong blobsToFetch = new AtomicLong();
    private final AtomicLong blobsFetched = new AtomicLong();
    private final AtomicLong bytesToFetch = new AtomicLong();
    private final AtomicLong bytesFetched = new AtomicLong();
    private final AtomicLong skippedForSpace = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong droppedBlocks = new AtomicLong();
    private final AtomicReference<Instant> lastStarted = new AtomicReference<>();
    private final AtomicReference<Instant> lastFinished = new AtomicReference<>();
    private final AtomicReference<String> lastError = new AtomicReference<>("");
    private final AtomicLong committed = new AtomicLong();

    /**
     * @param download whether to download ({@code prefetch: all}) or only drop stale versions ({@code none})
     * @param runner   runs passes, one at a time
     * @param workers  runs blob downloads; should have {@link ReadSettings#prefetchParallelism()} threads
     */
    public Prefetcher(String name, IndexStore index, CachedContent content, boolean download, ExecutorService runner,
                      ExecutorService workers, Clock clock) {
        this.name = name;
        this.index = index;
        this.content = content;
        this.download = download;
        this.runner = runner;
        this.workers = workers;
        this.clock = clock;
    }

    /** A prefetcher with its own daemon threads; {@link #close} stops them. */
    public static Prefetcher create(String name, IndexStore index, CachedContent content, boolean download,
                                    Clock clock) {
        AtomicInteger n = new AtomicInteger();
        return new Prefetcher(name, index, content, download, Executors.newSingleThreadExecutor(r -> daemon(r,
                "prefetch-" + name)), Executors.newFixedThreadPool(content.settings().prefetchParallelism(),
                r -> daemon(r, "prefetch-" + name + "-" + n.incrementAndGet())), clock);
    }

    private static Thread daemon(Runnable r, String threadName) {
        Thread t = new Thread(r, threadName);
        t.setDaemon(true);
        return t;
    }

    /** Asks for a pass over the current tree; returns at once. */
    public synchronized void request() {
        if (closed) {
            return;
        }
        if (running) {
            again = true;
            return;
        }
        running = true;
        runner.execute(this::loop);
    }

    private void loop() {
        while (true) {
            try {
                runPass();
            } catch (RuntimeException e) {
                lastError.set(e.toString());
                LOG.warn("{}: cache maintenance pass failed", name, e);
            }
            synchronized (this) {
                if (!again || closed) {
                    running = false;
                    notifyAll();
                    return;
                }
                again = false;
            }
        }
    }

    /** Waits until no pass is running or requested; false on timeout (for tests and orderly shutdown). */
    public synchronized boolean awaitIdle(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (running) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return true;
    }

    /** One pass over the current generation, on the calling thread. */
    void runPass() {
        Generation g = index.acquire();
        try {
            passes.incrementAndGet();
            lastStarted.set(clock.instant());
            blobsToFetch.set(0);
            blobsFetched.set(0);
            bytesToFetch.set(0);
            bytesFetched.set(0);
            LiveVersions.Builder live = LiveVersions.builder();
            for (int part = 0; part < g.nodeParts(); part++) {
                boolean whole = g.forEachNodeIn(part, (path, node) -> {
                    if (!node.isDirectory()) {
                        live.add(BlobKey.of(path, node.etag()));
                    }
                    return !isClosed();
                });
                if (!whole) {
                    return; // closing: a partial set of live versions must not decide what to drop
                }
            }
            int dropped = content.cache().retain(live.build());
            droppedBlocks.addAndGet(dropped);
            if (dropped > 0) {
                LOG.info("{}: dropped {} cached blocks of versions no longer in the tree", name, dropped);
            }
            if (download && g.number() > 0) {
                prefetch(g);
            }
            lastFinished.set(clock.instant());
        } finally {
            g.release();
        }
    }

    /**
     * Fetches what the cache lacks of generation {@code g}, part by part of the index (one visit of the
     * tree), in batches of about {@link #BATCH} blobs so that memory stays bounded at any size.
     */
    private void prefetch(Generation g) {
        long startedNanos = System.nanoTime();
        String error = "";
        List<BlobRef> batch = new ArrayList<>();
        long[] batchBytes = {0};
        int parts = g.nodeParts();
        for (int part = 0; part < parts && error.isEmpty(); part++) {
            boolean whole = g.forEachNodeIn(part, (path, node) -> {
                if (!node.isDirectory() && node.size() > 0) {
                    BlobRef ref = content.ref(BlobKey.of(path, node.etag()), node.size(), node.contentMd5());
                    long missing = missingBytes(ref);
                    if (missing > 0) {
                        batch.add(ref);
                        batchBytes[0] += missing;
                    }
                }
                return !isClosed();
            });
            if (!whole) {
                error = "closed";
                break;
            }
            if (batch.size() >= BATCH || part == parts - 1) {
                blobsToFetch.addAndGet(batch.size());
                bytesToFetch.addAndGet(batchBytes[0]);
                error = fetchAll(batch);
                batch.clear();
                batchBytes[0] = 0;
            }
        }
        lastError.set(error);
        LOG.info("{}: prefetch pass done in {} ms: {} blobs ({} MiB) fetched, {} skipped for space{}", name,
                (System.nanoTime() - startedNanos) / 1_000_000, blobsFetched.get(), bytesFetched.get() >> 20,
                skippedForSpace.get(), error.isEmpty() ? "" : "; stopped: " + error);
    }

    /** Downloads a batch with bounded parallelism; returns why it stopped early, or "". */
    private String fetchAll(List<BlobRef> batch) {
        int parallel = content.settings().prefetchParallelism();
        Semaphore slots = new Semaphore(parallel);
        AtomicReference<String> stop = new AtomicReference<>("");
        AtomicInteger inARow = new AtomicInteger();
        try {
            for (BlobRef ref : batch) {
                slots.acquire();
                if (!stop.get().isEmpty() || isClosed()) {
                    slots.release();
                    break;
                }
                long need = missingBytes(ref);
                if (content.cache().freeBytes() - committed.get() < need) {
                    skippedForSpace.incrementAndGet();
                    slots.release();
                    continue;
                }
                committed.addAndGet(need);
                AtomicLong reserved = new AtomicLong(need);
                workers.execute(() -> {
                    try {
                        fetchBlob(ref, reserved);
                        inARow.set(0);
                    } catch (OriginException.VersionGone e) {
                        LOG.debug("{}: {} changed since the listing; not prefetched", name, ref.name());
                        inARow.set(0);
                    } catch (OriginException e) {
                        failures.incrementAndGet();
                        if (!(e instanceof OriginException.Failed)) {
                            stop.compareAndSet("", e.getMessage());
                        } else {
                            failed(ref, e.getMessage(), null, inARow, stop);
                        }
                    } catch (RuntimeException e) {
                        failures.incrementAndGet();
                        failed(ref, e.toString(), e, inARow, stop);
                    } finally {
                        committed.addAndGet(-reserved.getAndSet(0));
                        slots.release();
                    }
                });
            }
            slots.acquire(parallel);
            slots.release(parallel);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
        return stop.get();
    }

    /** Gives back up to {@code bytes} of a blob's reservation. */
    private void release(AtomicLong reserved, long bytes) {
        long prev;
        long take;
        do {
            prev = reserved.get();
            take = Math.min(prev, bytes);
        } while (!reserved.compareAndSet(prev, prev - take));
        committed.addAndGet(-take);
    }

    /**
     * Records a failed blob: logged while few have failed in this pass, and the pass stops once
     * {@link #FAILURES_IN_A_ROW} blobs in a row failed (the cause is then not the blobs but the origin).
     */
    private void failed(BlobRef ref, String why, Throwable e, AtomicInteger inARow, AtomicReference<String> stop) {
        int n = inARow.incrementAndGet();
        if (n <= LOGGED_FAILURES) {
            if (e != null) {
                LOG.warn("{}: prefetch of {} failed", name, ref.name(), e);
            } else {
                LOG.warn("{}: prefetch of {} failed: {}", name, ref.name(), why);
            }
        }
        if (n >= FAILURES_IN_A_ROW) {
            stop.compareAndSet("", n + " blobs in a row failed; the last: " + why);
        }
    }

    private synchronized boolean isClosed() {
        return closed;
    }

    /** Bytes of the blocks of {@code ref} not in the cache, as the cache accounts them. */
    private long missingBytes(BlobRef ref) {
        long bytes = 0;
        for (int i = 0; i < ref.blockCount(); i++) {
            if (!content.cache().contains(ref.key(), i)) {
                bytes += BlockCache.accountedBytes(ref.length(i));
            }
        }
        return bytes;
    }

    /**
     * Downloads the missing blocks of one blob in order, a few GETs ahead; verifies its MD5 if it can. Each
     * block stored gives its part of {@code reserved} back, so the space check of the next blob does not
     * count a stored block twice (once as used, once as committed).
     */
    private void fetchBlob(BlobRef ref, AtomicLong reserved) throws OriginException {
        BlockLoader loader = content.loader();
        int blocks = ref.blockCount();
        int maxQueued = 4 * content.settings().maxRun(); // up to four GETs of one blob in flight
        boolean whole = true;
        for (int i = 0; i < blocks; i++) {
            whole &= !content.cache().contains(ref.key(), i);
        }
        // A blob fetched in one GET is verified by the loader; longer ones here, in block order.
        MessageDigest md = ref.md5() != null && whole && blocks > content.settings().maxRun() ? BlockLoader.md5() : null;
        ArrayDeque<Pending> queue = new ArrayDeque<>();
        int next = 0;
        boolean nulls = false;
        boolean full = false;
        try {
            while (next < blocks || !queue.isEmpty()) {
                while (next < blocks && queue.size() < maxQueued) {
                    long deadline = queue.isEmpty() ? System.nanoTime() + BLOCK_WAIT_NANOS : 0;
                    List<Pending> got;
                    try {
                        got = loader.start(ref, next, Math.min(content.settings().maxRun(), blocks - next),
                                BlockLoader.Mode.PREFETCH, deadline);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new OriginException.Unreachable("prefetch of " + ref.name() + " interrupted", e);
                    }
                    if (got.isEmpty()) {
                        if (queue.isEmpty()) {
                            throw new OriginException.Unreachable("prefetch of " + ref.name()
                                    + ": no block buffer freed up", null);
                        }
                        break;
                    }
                    queue.addAll(got.stream().map(p -> p == null ? SKIPPED : p).toList());
                    next += got.size();
                }
                Pending p = queue.poll();
                if (p == SKIPPED) {
                    nulls = true;
                    continue;
                }
                try {
                    await(p);
                    if (md != null) {
                        md.update(p.data.view(p.length));
                    }
                    if (p.stored.get(BLOCK_WAIT_NANOS, TimeUnit.NANOSECONDS)) {
                        release(reserved, BlockCache.accountedBytes(p.length));
                    } else {
                        nulls = true;
                        full = true;
                    }
                    bytesFetched.addAndGet(p.length);
                } catch (ExecutionException | TimeoutException e) {
                    throw new OriginException.Failed("prefetch of " + ref.name() + ": " + e, e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new OriginException.Unreachable("prefetch of " + ref.name() + " interrupted", e);
                } finally {
                    p.release();
                }
            }
        } finally {
            for (Pending p : queue) {
                if (p != SKIPPED) {
                    p.release();
                }
            }
        }
        if (md != null && !nulls) {
            if (!MessageDigest.isEqual(md.digest(), ref.md5())) {
                content.stats().md5Mismatches.incrementAndGet();
                failures.incrementAndGet();
                content.cache().drop(ref.key());
                LOG.warn("{}: prefetched {} does not match its Content-MD5; its blocks were dropped", name,
                        ref.name());
                return;
            }
            content.stats().md5Verified.incrementAndGet();
        }
        if (full || missingBytes(ref) > 0) {
            skippedForSpace.incrementAndGet();
            return;
        }
        blobsFetched.incrementAndGet();
    }

    private static final Pending SKIPPED = new Pending(null, 0, null);

    private static void await(Pending p) throws OriginException {
        try {
            p.done.get(BLOCK_WAIT_NANOS, TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof OriginException oe) {
                throw oe;
            }
            throw new OriginException.Failed("prefetch: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new OriginException.Unreachable("prefetch: no data within 5 minutes", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OriginException.Unreachable("prefetch interrupted", e);
        }
    }

    /** Where prefetch stands now. */
    public Progress progress() {
        boolean r;
        synchronized (this) {
            r = running;
        }
        return new Progress(r, passes.get(), blobsToFetch.get(), blobsFetched.get(), bytesToFetch.get(),
                bytesFetched.get(), skippedForSpace.get(), failures.get(), droppedBlocks.get(),
                Optional.ofNullable(lastStarted.get()), Optional.ofNullable(lastFinished.get()), lastError.get());
    }

    /** Stops: the pass in progress ends after the blobs being fetched. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        runner.shutdownNow();
        workers.shutdownNow();
        try {
            runner.awaitTermination(5, TimeUnit.SECONDS);
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Prefetch progress, for status and progress displays. Counts of the current (or last) pass, except the
     * totals marked cumulative.
     *
     * @param running          whether a pass is running now
     * @param passes           passes started (cumulative)
     * @param blobsToFetch     blobs this pass found not fully cached (so far, batches are counted as reached)
     * @param blobsFetched     of those, fully fetched
     * @param bytesToFetch     bytes this pass has to fetch (as accounted on disk)
     * @param bytesFetched     bytes fetched this pass
     * @param skippedForSpace  blobs not fetched because the cache had no free space for them (cumulative)
     * @param failures         blob downloads that failed (cumulative)
     * @param droppedBlocks    cached blocks dropped because their version left the tree (cumulative)
     * @param lastStarted      when the last pass started
     * @param lastFinished     when the last pass finished
     * @param lastError        why the last pass stopped early, or empty
     */
    public record Progress(boolean running, long passes, long blobsToFetch, long blobsFetched, long bytesToFetch,
                           long bytesFetched, long skippedForSpace, long failures, long droppedBlocks,
                           Optional<Instant> lastStarted, Optional<Instant> lastFinished, String lastError) {
    }
}
