package io.cloudmirror.origin;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link BlobOrigin} decorator that injects read faults, for tests of everything that reads through an
 * origin: reads that fail before any byte, reads that fail mid-body after delivering part of the range
 * (leaving those bytes in the buffers, as a dropped connection would), reads whose bytes arrive corrupted,
 * and reads that stall until released. It also counts concurrent reads. A listing can be made to fail after
 * handing over some of its blobs, as a listing cut by a dropped connection; otherwise listing and probing pass
 * through.
 *
 * <p>Thread-safe. Faults are armed for a number of upcoming reads and consumed in arrival order.
 */
public final class FaultyOrigin implements BlobOrigin {

    private final BlobOrigin delegate;
    private final AtomicInteger failNext = new AtomicInteger();
    private final AtomicInteger cutNext = new AtomicInteger();
    private final AtomicInteger corruptNext = new AtomicInteger();
    private volatile long cutAfter;
    private final AtomicInteger failListingAfter = new AtomicInteger(-1);
    private volatile CountDownLatch gate;
    private final AtomicInteger waiting = new AtomicInteger();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private final AtomicLong started = new AtomicLong();

    public FaultyOrigin(BlobOrigin delegate) {
        this.delegate = delegate;
    }

    /** The next {@code n} reads fail with {@link OriginException.Unreachable} before delivering anything. */
    public FaultyOrigin failNextReads(int n) {
        failNext.set(n);
        return this;
    }

    /**
     * The next {@code n} reads deliver their first {@code bytes} bytes into the buffers, then fail with
     * {@link OriginException.Unreachable}, as a connection dropped mid-body.
     */
    public FaultyOrigin cutNextReads(int n, long bytes) {
        cutAfter = bytes;
        cutNext.set(n);
        return this;
    }

    /**
     * The next listing hands over its first {@code items} blobs, then fails with {@link OriginException.Unreachable}
     * (at once for 0, or at its end if it has no more than {@code items} blobs).
     */
    public FaultyOrigin failNextListingAfter(int items) {
        failListingAfter.set(items);
        return this;
    }

    /** The next {@code n} reads succeed but one byte in the middle of what they deliver is flipped. */
    public FaultyOrigin corruptNextReads(int n) {
        corruptNext.set(n);
        return this;
    }

    /** Every read from now on blocks before reaching the origin, until {@link #unstall()}. */
    public synchronized FaultyOrigin stall() {
        if (gate == null) {
            gate = new CountDownLatch(1);
        }
        return this;
    }

    /** Lets stalled and future reads through. */
    public synchronized FaultyOrigin unstall() {
        if (gate != null) {
            gate.countDown();
            gate = null;
        }
        return this;
    }

    /** Waits until at least {@code n} reads are blocked by {@link #stall()}; false on timeout. */
    public boolean awaitStalled(int n, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (waiting.get() < n) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(5);
        }
        return true;
    }

    /** Reads begun so far (including failed and stalled ones). */
    public long readsStarted() {
        return started.get();
    }

    /** The most reads that were in progress at the same time. */
    public int maxConcurrentReads() {
        return maxInFlight.get();
    }

    /** The wrapped origin. */
    public BlobOrigin delegate() {
        return delegate;
    }

    @Override
    public String displayName() {
        return delegate.displayName();
    }

    @Override
    public void list(String prefix, BlobSink sink) throws OriginException {
        int limit = failListingAfter.getAndSet(-1);
        if (limit < 0) {
            delegate.list(prefix, sink);
            return;
        }
        int[] handed = {0};
        OriginException cut = new OriginException.Unreachable("listing: connection reset after " + limit
                + " blobs (injected)", null);
        if (limit == 0) {
            throw cut;
        }
        try {
            delegate.list(prefix, item -> {
                if (handed[0] == limit) {
                    throw new CutListing();
                }
                sink.accept(item);
                handed[0]++;
            });
        } catch (CutListing e) {
            throw cut;
        }
        throw cut;
    }

    /** Stops a listing where an injected fault cuts it. */
    private static final class CutListing extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CutListing() {
            super("cut", null, false, false);
        }
    }

    @Override
    public int read(String name, String etag, long offset, ByteBuffer dst) throws OriginException {
        return (int) read(name, etag, offset, new ByteBuffer[] {dst});
    }

    @Override
    public long read(String name, String etag, long offset, ByteBuffer[] dsts) throws OriginException {
        started.incrementAndGet();
        int now = inFlight.incrementAndGet();
        maxInFlight.accumulateAndGet(now, Math::max);
        try {
            awaitGate(name);
            if (take(failNext)) {
                throw new OriginException.Unreachable("reading " + name + ": connection refused (injected)", null);
            }
            if (take(cutNext)) {
                return cut(name, etag, offset, dsts);
            }
            int[] starts = positions(dsts);
            long n = delegate.read(name, etag, offset, dsts);
            if (n > 0 && take(corruptNext)) {
                flipMiddleByte(dsts, starts, n);
            }
            return n;
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private long cut(String name, String etag, long offset, ByteBuffer[] dsts) throws OriginException {
        long budget = cutAfter;
        for (ByteBuffer dst : dsts) {
            if (budget <= 0) {
                break;
            }
            ByteBuffer part = dst.slice();
            part.limit((int) Math.min(part.limit(), budget));
            int n = delegate.read(name, etag, offset + cutAfter - budget, part);
            dst.position(dst.position() + n);
            budget -= n;
            if (part.hasRemaining()) {
                break;
            }
        }
        throw new OriginException.Unreachable("reading " + name + ": connection reset mid-body after "
                + (cutAfter - budget) + " bytes (injected)", null);
    }

    private void awaitGate(String name) throws OriginException {
        CountDownLatch g = gate;
        if (g == null) {
            return;
        }
        waiting.incrementAndGet();
        try {
            if (!g.await(10, TimeUnit.MINUTES)) {
                throw new OriginException.Unreachable("reading " + name + ": stalled (injected)", null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OriginException.Unreachable("reading " + name + ": interrupted while stalled", e);
        } finally {
            waiting.decrementAndGet();
        }
    }

    private static boolean take(AtomicInteger counter) {
        while (true) {
            int n = counter.get();
            if (n <= 0) {
                return false;
            }
            if (counter.compareAndSet(n, n - 1)) {
                return true;
            }
        }
    }

    private static int[] positions(ByteBuffer[] dsts) {
        int[] p = new int[dsts.length];
        for (int i = 0; i < dsts.length; i++) {
            p[i] = dsts[i].position();
        }
        return p;
    }

    private static void flipMiddleByte(ByteBuffer[] dsts, int[] starts, long n) {
        long target = n / 2;
        for (int i = 0; i < dsts.length; i++) {
            int written = dsts[i].position() - starts[i];
            if (target < written) {
                int at = starts[i] + (int) target;
                dsts[i].put(at, (byte) (dsts[i].get(at) ^ 0x5A));
                return;
            }
            target -= written;
        }
    }

    @Override
    public Probe probe() {
        return delegate.probe();
    }

    @Override
    public void close() {
        unstall();
        delegate.close();
    }
}
