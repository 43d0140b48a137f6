package io.cloudmirror.blocks;

import io.cloudmirror.origin.OriginException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Reads one blob version for one open file: serves each read from the blocks it covers (readahead in
 * memory, the cache disk, or a fetch the read waits for), and keeps a readahead window ahead of a
 * sequential reader. The window starts at {@link ReadSettings#initialWindow()} blocks, doubles with every
 * block the reader consumes from it, up to {@link ReadSettings#maxWindow()}, and is dropped and reset by a
 * read that is not sequential. Holds the version pinned in the cache until closed.
 *
 * <p>Thread-safe: the kernel sends reads of one file from several threads at once, slightly out of order;
 * the window is planned under this object's lock, and the waiting and copying happen outside it.
 */
public final class BlobReader implements AutoCloseable {

    private final BlobRef ref;
    private final BlockLoader loader;
    private final BlockCache cache;
    private final ReadSettings settings;
    private final ReadStats stats;
    private final boolean readahead;
    private final Runnable onClose;
    /** Blocks requested ahead, each holding one reference. Guarded by this. */
    private final NavigableMap<Integer, Pending> ahead = new TreeMap<>();
    private int cursor = -1;
    private int window;
    private int aheadEnd = -1;
    private boolean closed;

    BlobReader(BlobRef ref, BlockLoader loader, BlockCache cache, ReadSettings settings, ReadStats stats,
               boolean readahead, Runnable onClose) {
        this.ref = ref;
        this.loader = loader;
        this.cache = cache;
        this.settings = settings;
        this.stats = stats;
        this.readahead = readahead;
        this.onClose = onClose;
        this.window = settings.initialWindow();
    }

    /** The size of the version read. */
    public long size() {
        return ref.size();
    }

    /**
     * Reads bytes at {@code offset} into {@code dst}, as many as fit or until the end of the blob.
     *
     * @return bytes read, 0 at or past the end
     * @throws OriginException.VersionGone if the version is gone from the origin and a needed block is not cached
     * @throws OriginException if the bytes could not be fetched, or did not arrive within the read timeout
     */
    public int read(long offset, ByteBuffer dst) throws OriginException {
        if (offset < 0) {
            throw new IllegalArgumentException("negative offset " + offset);
        }
        if (offset >= ref.size() || !dst.hasRemaining()) {
            return 0;
        }
        stats.reads.incrementAndGet();
        int want = (int) Math.min(dst.remaining(), ref.size() - offset);
        long deadline = System.nanoTime() + settings.readTimeout().toNanos();
        int first = ref.blockOf(offset);
        int last = ref.blockOf(offset + want - 1);
        Pending[] planned = plan(first, last);
        int done = 0;
        try {
            for (int b = first; b <= last; b++) {
                int from = (int) (offset + done - ref.offset(b));
                int len = Math.min(want - done, ref.length(b) - from);
                Pending p = planned[b - first];
                planned[b - first] = null;
                copyBlock(b, from, dst.slice(dst.position() + done, len), p, deadline);
                done += len;
            }
        } finally {
            for (Pending p : planned) {
                if (p != null) {
                    p.release();
                }
            }
        }
        dst.position(dst.position() + done);
        return done;
    }

    /** Copies bytes {@code [from, from + part.remaining())} of block {@code b} into {@code part}. */
    private void copyBlock(int b, int from, ByteBuffer part, Pending ahead, long deadline) throws OriginException {
        if (ahead != null) {
            try {
                await(ahead, deadline);
                ahead.data.copyTo(from, part);
                return;
            } catch (OriginException e) {
                if (!ahead.done.isDone() || e instanceof OriginException.VersionGone) {
                    throw e; // timed out, or the version is gone: a second try cannot do better
                }
                forget(b, ahead); // a readahead that failed: try once more on demand
            } finally {
                ahead.release();
            }
        }
        Pending p = loader.join(ref, b);
        if (p == null) {
            if (cache.read(ref.key(), b, ref.length(b), from, part.duplicate())) {
                return;
            }
            p = loader.demand(ref, b, deadline);
        }
        try {
            await(p, deadline);
            p.data.copyTo(from, part);
        } finally {
            p.release();
        }
    }

    private void await(Pending p, long deadline) throws OriginException {
        try {
            p.done.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            stats.timeouts.incrementAndGet();
            throw new OriginException.Unreachable("reading " + ref.name() + ": no data within the read timeout of "
                    + settings.readTimeout().toMillis() / 1000.0 + " s", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof OriginException oe) {
                throw oe;
            }
            throw new OriginException.Failed("reading " + ref.name() + ": " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OriginException.Unreachable("reading " + ref.name() + ": interrupted", e);
        }
    }

    /**
     * Updates the window for a read of blocks {@code [first, last]} and returns the loads already requested
     * for them (retained for the caller), null where there is none.
     */
    private synchronized Pending[] plan(int first, int last) {
        if (closed) {
            throw new IllegalStateException("read of a closed reader of " + ref.name());
        }
        if (readahead) {
            boolean sequential = cursor < 0 ? first == 0
                    : first >= cursor - 1 && first <= cursor + 1 || ahead.containsKey(first);
            if (sequential) {
                for (int b = Math.max(first, cursor + 1); b <= last; b++) {
                    if (ahead.containsKey(b) && window < settings.maxWindow()) {
                        window = Math.min(settings.maxWindow(), window * 2);
                    }
                }
                cursor = Math.max(cursor, last);
                while (!ahead.isEmpty() && ahead.firstKey() < cursor - 2) {
                    ahead.pollFirstEntry().getValue().release();
                }
                topUp();
            } else {
                dropAhead();
                window = settings.initialWindow();
                cursor = last;
                aheadEnd = last;
            }
        }
        Pending[] planned = new Pending[last - first + 1];
        for (int b = first; b <= last; b++) {
            Pending p = ahead.get(b);
            if (p != null && p.data.retain()) {
                planned[b - first] = p;
            }
        }
        return planned;
    }

    /** Requests the blocks between what is already ahead and the window's end, in whole GET-sized runs. */
    private void topUp() {
        int want = Math.min(cursor + window, ref.blockCount() - 1);
        int from = Math.max(aheadEnd, cursor) + 1;
        int gap = want - from + 1;
        if (gap <= 0) {
            return;
        }
        int threshold = Math.min(settings.maxRun(), Math.max(1, window / 2));
        if (gap < threshold && from > cursor + 1) {
            return;
        }
        List<Pending> got;
        try {
            got = loader.start(ref, from, gap, BlockLoader.Mode.READAHEAD, 0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        for (int k = 0; k < got.size(); k++) {
            Pending old = ahead.put(from + k, got.get(k));
            if (old != null) {
                old.release();
            }
        }
        aheadEnd = Math.max(aheadEnd, from + got.size() - 1);
    }

    private synchronized void forget(int b, Pending p) {
        if (ahead.get(b) == p) {
            ahead.remove(b);
            p.release();
        }
    }

    private void dropAhead() {
        for (Pending p : ahead.values()) {
            p.release();
        }
        ahead.clear();
    }

    /** The readahead window now, in blocks (for tests). */
    synchronized int window() {
        return window;
    }

    /** Blocks held ahead now (for tests). */
    synchronized int blocksAhead() {
        return ahead.size();
    }

    /** Drops the readahead and unpins the version. Reads after this fail. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            dropAhead();
        }
        onClose.run();
    }
}
