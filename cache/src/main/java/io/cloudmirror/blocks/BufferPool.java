package io.cloudmirror.blocks;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * The block buffers of the read path: page-aligned direct buffers of one block each (ready for direct I/O),
 * reused, and at most {@code max} of
 * them out at a time, which is the read path's memory bound. Readahead and prefetch may only take buffers
 * while fewer than three quarters are out, so reads that callers wait for always find room. At most a
 * quarter of {@code max} idle buffers are kept for reuse; the rest are let go when given back (their native
 * memory returns at the next garbage collection), so a burst of parallel reads does not keep the daemon's
 * resident memory at its peak.
 *
 * <p>Thread-safe.
 */
final class BufferPool {

    private final int bufferSize;
    private final int max;
    private final int soft;
    private final int retain;
    private final ArrayDeque<ByteBuffer> free = new ArrayDeque<>();
    private int out;

    BufferPool(int bufferSize, int max) {
        this.bufferSize = bufferSize;
        this.max = max;
        this.soft = Math.max(1, max * 3 / 4);
        this.retain = Math.max(1, max / 4);
    }

    /** A buffer for readahead, or null if the soft limit is reached. */
    synchronized ByteBuffer tryTake() {
        return out >= soft ? null : takeLocked();
    }

    /**
     * A buffer, waiting until one is free or {@code deadline} ({@link System#nanoTime()}) passes.
     *
     * @param background whether the soft limit applies (prefetch) rather than the hard one (a waiting reader)
     * @return the buffer, or null on timeout
     */
    synchronized ByteBuffer take(long deadline, boolean background) throws InterruptedException {
        int limit = background ? soft : max;
        while (out >= limit) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return takeLocked();
    }

    private ByteBuffer takeLocked() {
        out++;
        ByteBuffer b = free.poll();
        return b != null ? b.clear() : BlockFormat.pageBuffer(BlockFormat.roundUp(bufferSize)).clear();
    }

    synchronized void give(ByteBuffer b) {
        out--;
        if (free.size() < retain) {
            free.push(b);
        }
        notifyAll();
    }

    synchronized int inUse() {
        return out;
    }

    /** Idle buffers kept for reuse. */
    synchronized int idle() {
        return free.size();
    }
}
