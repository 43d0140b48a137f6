package io.cloudmirror.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BufferPoolTest {

    private static final int SIZE = 64 << 10;

    @Test
    void readaheadStopsAtThreeQuartersAWaitingReaderMayTakeTheRest() throws Exception {
        BufferPool pool = new BufferPool(SIZE, 8);
        List<ByteBuffer> out = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            out.add(pool.tryTake());
        }
        assertNull(pool.tryTake(), "soft limit: six of eight");
        assertNull(pool.take(System.nanoTime() + 1_000_000, true), "prefetch waits for the soft limit too");
        out.add(pool.take(System.nanoTime(), false));
        out.add(pool.take(System.nanoTime(), false));
        assertNull(pool.take(System.nanoTime() + 1_000_000, false), "hard limit");
        assertEquals(8, pool.inUse());
        out.forEach(b -> assertTrue(BlockFormat.directIoReady(b)));
    }

    @Test
    void givenBackBuffersAreReusedButOnlyAQuarterIsKeptIdle() throws Exception {
        BufferPool pool = new BufferPool(SIZE, 8);
        List<ByteBuffer> out = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            out.add(pool.take(System.nanoTime(), false));
        }
        out.forEach(pool::give);
        assertEquals(0, pool.inUse());
        assertEquals(2, pool.idle(), "eight given back, two kept");
        ByteBuffer again = pool.tryTake();
        assertNotNull(again);
        assertSame(out.get(1), again, "the most recently kept buffer is reused");
        assertEquals(SIZE, again.remaining(), "cleared for reuse");
    }

    @Test
    void aPageBufferHoldsExactlyItsSizeWhereverTheAllocationLands() {
        // An allocation that happens to be page-aligned used to keep one page more, which clear() handed out.
        for (int i = 0; i < 2000; i++) {
            ByteBuffer b = BlockFormat.pageBuffer(SIZE);
            assertEquals(SIZE, b.capacity(), "allocation " + i);
            assertEquals(SIZE, b.clear().remaining());
            assertTrue(BlockFormat.directIoReady(b));
        }
    }
}
