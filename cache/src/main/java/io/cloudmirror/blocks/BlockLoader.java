package io.cloudmirror.blocks;

import io.cloudmirror.origin.BlobOrigin;
import io.cloudmirror.origin.OriginException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads blocks into memory: from the cache disk when they are there, otherwise from the origin with ranged
 * GETs of up to {@link ReadSettings#maxRun()} consecutive blocks each, which it then writes to the cache.
 * Each block is loaded once at a time however many readers want it (single flight): a second request for a
 * block in flight joins the first.
 *
 * <p>Every {@link Pending} handed out carries one reference for the caller, who must release it. GETs run
 * on the fetch executor, disk loads on the disk executor, so a stalled origin never delays cached reads.
 *
 * <p>Thread-safe.
 */
final class BlockLoader {

    private static final Logger LOG = LoggerFactory.getLogger(BlockLoader.class);

    /** Why a block is loaded: decides whose memory it may take and whether its fill may evict. */
    enum Mode {
        /** A reader waits for it: may use all the memory and evict. */
        DEMAND,
        /** Ahead of a sequential reader: soft memory limit, never waits for memory; may evict. */
        READAHEAD,
        /** Background prefetch: soft memory limit, waits for memory; fills free space only. */
        PREFETCH
    }

    private final BlobOrigin origin;
    private final BlockCache cache;
    private final BufferPool pool;
    private final ReadSettings settings;
    private final ExecutorService fetchPool;
    private final ExecutorService diskPool;
    private final ReadStats stats;
    private final ConcurrentHashMap<BlockId, Pending> inflight = new ConcurrentHashMap<>();
    private volatile boolean closed;

    BlockLoader(BlobOrigin origin, BlockCache cache, BufferPool pool, ReadSettings settings, ExecutorService fetchPool,
                ExecutorService diskPool, ReadStats stats) {
        this.origin = origin;
        this.cache = cache;
        this.pool = pool;
        this.settings = settings;
        this.fetchPool = fetchPool;
        this.diskPool = diskPool;
        this.stats = stats;
    }

    /** The load of block {@code index} in flight, retained for the caller, or null if there is none. */
    Pending join(BlobRef ref, int index) {
        Pending[] joined = new Pending[1];
        inflight.computeIfPresent(ref.key().block(index), (id, p) -> {
            if (p.data.retain()) {
                joined[0] = p;
            }
            return p;
        });
        if (joined[0] != null) {
            stats.joins.incrementAndGet();
        }
        return joined[0];
    }

    /**
     * Loads block {@code index} for a reader waiting for it: joins a load in flight, else loads it from the
     * cache disk if it is there, else from the origin.
     *
     * @param deadline when to give up waiting for memory ({@link System#nanoTime()})
     * @throws OriginException.Unreachable if no memory freed up before the deadline
     */
    Pending demand(BlobRef ref, int index, long deadline) throws OriginException {
        while (true) {
            Pending p = join(ref, index);
            if (p != null) {
                return p;
            }
            ByteBuffer buf;
            try {
                buf = pool.take(deadline, false);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new OriginException.Unreachable("reading " + ref.name() + ": interrupted", e);
            }
            if (buf == null) {
                stats.timeouts.incrementAndGet();
                throw new OriginException.Unreachable("reading " + ref.name() + ": no block buffer freed up within "
                        + "the read timeout (every buffer is waiting for the origin)", null);
            }
            p = register(ref, index, buf);
            if (p == null) {
                continue; // someone else started it meanwhile: join theirs
            }
            if (cache.contains(ref.key(), index)) {
                submitDiskLoad(ref, p, Mode.DEMAND);
            } else {
                submitFetch(ref, List.of(p), Mode.DEMAND);
            }
            return p;
        }
    }

    /**
     * Starts (or joins) loads of blocks {@code [first, first + count)} ahead of a reader or for prefetch,
     * without waiting for them. Cached blocks are loaded from disk for readahead and skipped for prefetch;
     * missing ones are fetched in runs of up to {@link ReadSettings#maxRun()} blocks per GET. Stops early
     * when the memory bound is reached.
     *
     * @param deadline for {@link Mode#PREFETCH}: how long to wait for memory ({@link System#nanoTime()})
     * @return loads in block order, each retained for the caller (null for blocks prefetch skips); possibly
     *         fewer than {@code count}
     */
    List<Pending> start(BlobRef ref, int first, int count, Mode mode, long deadline) throws InterruptedException {
        List<Pending> out = new ArrayList<>(count);
        int end = Math.min(first + count, ref.blockCount());
        int i = first;
        while (i < end) {
            Pending joined = join(ref, i);
            if (joined != null) {
                out.add(joined);
                i++;
                continue;
            }
            if (cache.contains(ref.key(), i)) {
                if (mode == Mode.PREFETCH) {
                    out.add(null);
                    i++;
                    continue;
                }
                ByteBuffer buf = buffer(mode, deadline);
                if (buf == null) {
                    return out;
                }
                Pending p = register(ref, i, buf);
                if (p == null) {
                    continue;
                }
                stats.readaheadBlocks.incrementAndGet();
                out.add(p);
                submitDiskLoad(ref, p, mode);
                i++;
                continue;
            }
            List<Pending> run = new ArrayList<>(settings.maxRun());
            boolean exhausted = false;
            while (i < end && run.size() < settings.maxRun() && !cache.contains(ref.key(), i)
                    && !inflight.containsKey(ref.key().block(i))) {
                ByteBuffer buf = buffer(mode, deadline);
                if (buf == null) {
                    exhausted = true;
                    break;
                }
                Pending p = register(ref, i, buf);
                if (p == null) {
                    break;
                }
                run.add(p);
                i++;
            }
            if (!run.isEmpty()) {
                if (mode == Mode.READAHEAD) {
                    stats.readaheadBlocks.addAndGet(run.size());
                }
                out.addAll(run);
                submitFetch(ref, run, mode);
            }
            if (exhausted) {
                return out;
            }
        }
        return out;
    }

    private ByteBuffer buffer(Mode mode, long deadline) throws InterruptedException {
        return mode == Mode.PREFETCH ? pool.take(deadline, true) : pool.tryTake();
    }

    /**
     * Makes a load of block {@code index} into {@code buf} the one in flight, holding two references (the
     * loader's and the caller's); null, with the buffer returned, if another load got there first.
     */
    private Pending register(BlobRef ref, int index, ByteBuffer buf) {
        BlockId id = ref.key().block(index);
        BlockData data = new BlockData(buf, pool);
        Pending p = new Pending(id, ref.length(index), data);
        data.retain();
        if (inflight.putIfAbsent(id, p) != null) {
            data.release();
            data.release();
            return null;
        }
        return p;
    }

    private void submitDiskLoad(BlobRef ref, Pending p, Mode mode) {
        try {
            diskPool.execute(() -> loadFromDisk(ref, p, mode));
        } catch (RejectedExecutionException e) {
            closed(ref, List.of(p), e);
        }
    }

    private void loadFromDisk(BlobRef ref, Pending p, Mode mode) {
        if (closed) {
            closed(ref, List.of(p), null);
            return;
        }
        ByteBuffer b = p.data.buffer().clear();
        if (cache.readWhole(ref.key(), p.id.index(), p.length, b)) {
            stats.diskLoads.incrementAndGet();
            p.data.buffer().flip();
            p.done.complete(null);
            p.stored.complete(true);
            finish(p);
        } else {
            submitFetch(ref, List.of(p), mode); // gone or corrupt: fetch it instead
        }
    }

    private void submitFetch(BlobRef ref, List<Pending> run, Mode mode) {
        try {
            fetchPool.execute(() -> fetch(ref, run, mode));
        } catch (RejectedExecutionException e) {
            closed(ref, run, e);
        }
    }

    /** One ranged GET for a run of consecutive blocks; completes them, then writes them to the cache. */
    private void fetch(BlobRef ref, List<Pending> run, Mode mode) {
        if (closed) {
            closed(ref, run, null);
            return;
        }
        int first = run.get(0).id.index();
        ByteBuffer[] dsts = new ByteBuffer[run.size()];
        long expected = 0;
        for (int k = 0; k < run.size(); k++) {
            Pending p = run.get(k);
            dsts[k] = p.data.buffer().clear().limit(p.length);
            expected += p.length;
        }
        long offset = ref.offset(first);
        try {
            stats.originRequests.incrementAndGet();
            long n = origin.read(ref.name(), ref.key().etag(), offset, dsts);
            stats.originBytes.addAndGet(n);
            if (n != expected) {
                throw new OriginException.VersionGone("reading " + ref.name() + ": the blob is shorter than its "
                        + "listed size (" + (offset + n) + " < " + ref.size() + " bytes)", null);
            }
            if (ref.md5() != null && offset == 0 && expected == ref.size()) {
                checkMd5(ref, run);
            }
            for (Pending p : run) {
                ByteBuffer b = p.data.buffer();
                b.flip();
                zeroPadding(b);
                p.done.complete(null);
            }
            for (Pending p : run) {
                boolean put = cache.put(ref.key(), p.id.index(), p.data.view(p.length), mode != Mode.PREFETCH);
                p.stored.complete(put || cache.contains(ref.key(), p.id.index()));
            }
        } catch (OriginException e) {
            stats.originFailures.incrementAndGet();
            fail(run, e);
        } catch (RuntimeException e) {
            stats.originFailures.incrementAndGet();
            LOG.warn("reading {}: unexpected failure", ref.name(), e);
            fail(run, new OriginException.Failed("reading " + ref.name() + ": " + e, e));
        } finally {
            for (Pending p : run) {
                finish(p);
            }
        }
    }

    /** Zeroes the bytes between a block's end and the next page boundary, which direct I/O writes as padding. */
    private static void zeroPadding(ByteBuffer b) {
        int end = Math.min(b.capacity(), BlockFormat.roundUp(b.limit()));
        ByteBuffer pad = b.duplicate().limit(end);
        for (int i = b.limit(); i < end; i++) {
            pad.put(i, (byte) 0);
        }
    }

    private void checkMd5(BlobRef ref, List<Pending> run) throws OriginException {
        MessageDigest md = md5();
        for (Pending p : run) {
            md.update(p.data.buffer().duplicate().flip());
        }
        if (!MessageDigest.isEqual(md.digest(), ref.md5())) {
            stats.md5Mismatches.incrementAndGet();
            LOG.warn("reading {}: the bytes received do not match the blob's Content-MD5; not cached", ref.name());
            throw new OriginException.Failed("reading " + ref.name() + ": Content-MD5 mismatch", null);
        }
        stats.md5Verified.incrementAndGet();
    }

    static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every Java runtime has MD5", e);
        }
    }

    private void closed(BlobRef ref, List<Pending> run, RejectedExecutionException e) {
        fail(run, new OriginException.Failed("reading " + ref.name() + ": the read path is closed", e));
        for (Pending p : run) {
            finish(p);
        }
    }

    /** Fails the loads; they leave the in-flight map first, so nobody joins a failed load. */
    private void fail(List<Pending> run, OriginException e) {
        for (Pending p : run) {
            inflight.remove(p.id, p);
            p.done.completeExceptionally(e);
            p.stored.complete(false);
        }
    }

    /** The load is over: later requests go to the cache (or fetch anew); the loader's reference is dropped. */
    private void finish(Pending p) {
        p.stored.complete(false); // if nothing else completed it (an unexpected failure while storing)
        inflight.remove(p.id, p);
        p.release();
    }

    /** Loads queued from now on fail at once; those running finish (and store their blocks). */
    void close() {
        closed = true;
    }

    /** Block loads in flight (for tests). */
    int inflight() {
        return inflight.size();
    }
}
