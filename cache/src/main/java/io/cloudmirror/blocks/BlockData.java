package io.cloudmirror.blocks;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bytes of one block in memory, in a pooled buffer that goes back to the pool when the last holder
 * releases it. Holders: the load filling it, each reader window that requested it, and each read copying
 * out of it. Once released to zero the object is dead and {@link #retain()} fails, so a buffer is never
 * read after it was handed to another block.
 *
 * <p>Thread-safe. The buffer is written only by the load, before its completion is published.
 */
final class BlockData {

    private final ByteBuffer buffer;
    private final BufferPool pool;
    private final AtomicInteger refs = new AtomicInteger(1);

    BlockData(ByteBuffer buffer, BufferPool pool) {
        this.buffer = buffer;
        this.pool = pool;
    }

    /** Takes another reference; false if the data is already gone. */
    boolean retain() {
        while (true) {
            int n = refs.get();
            if (n <= 0) {
                return false;
            }
            if (refs.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    void release() {
        int n = refs.decrementAndGet();
        if (n == 0) {
            pool.give(buffer);
        } else if (n < 0) {
            throw new IllegalStateException("block buffer released more often than retained");
        }
    }

    /** The buffer, for the load that fills it. */
    ByteBuffer buffer() {
        return buffer;
    }

    /** Copies bytes {@code [from, from + dst.remaining())} into {@code dst}. Caller holds a reference. */
    void copyTo(int from, ByteBuffer dst) {
        int n = dst.remaining();
        dst.put(buffer.duplicate().limit(from + n).position(from));
    }

    /** Bytes {@code [0, length)} as a read-only view. Caller holds a reference. */
    ByteBuffer view(int length) {
        return buffer.duplicate().limit(length).position(0).asReadOnlyBuffer();
    }
}
