package io.cloudmirror.blocks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cloudmirror.origin.BackendConnection;
import io.cloudmirror.origin.FaultyOrigin;
import io.cloudmirror.origin.InMemoryOrigin;
import io.cloudmirror.origin.OriginException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CachedContentTest {

    static final int BLOCK = 64 * 1024;

    @TempDir
    Path tmp;

    private final InMemoryOrigin memory = new InMemoryOrigin();
    private final FaultyOrigin origin = new FaultyOrigin(memory);
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        origin.unstall();
        Collections.reverse(toClose);
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    static ReadSettings settings(Duration timeout) {
        return new ReadSettings(BLOCK, timeout, 1, 8, 4, 4, 2, 64L * BLOCK, 4);
    }

    private CachedContent content(long limit, ReadSettings settings) throws IOException {
        BlockCache cache = BlockCache.open(tmp.resolve("blocks"), limit);
        toClose.add(cache);
        CachedContent c = CachedContent.create("test", origin, cache, settings);
        toClose.add(c);
        return c;
    }

    private CachedContent content() throws IOException {
        return content(64L << 20, settings(Duration.ofSeconds(30)));
    }

    /** Waits until no block load is in flight: fetches have written the cache. */
    static void quiesce(CachedContent c) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (c.loader().inflight() > 0) {
            assertTrue(System.nanoTime() < deadline, "block loads still in flight after 30 s");
            Thread.sleep(2);
        }
    }

    private static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** A blob put into the origin, with what the index would say about it. */
    private record Blob(String name, String etag, byte[] content, byte[] md5) {
        long size() {
            return content.length;
        }
    }

    private Blob put(String name, byte[] content) {
        String etag = memory.put(name, content);
        return new Blob(name, etag, content, InMemoryOrigin.md5(content));
    }

    private BlobReader open(CachedContent c, Blob b) {
        BlobReader r = c.open(b.name, b.etag, b.size(), b.md5);
        toClose.add(r);
        return r;
    }

    private static byte[] readAll(BlobReader r, int chunk) throws OriginException {
        ByteBuffer out = ByteBuffer.allocate((int) r.size());
        long offset = 0;
        while (true) {
            ByteBuffer dst = ByteBuffer.allocateDirect(chunk);
            int n = r.read(offset, dst);
            if (n == 0) {
                break;
            }
            out.put(dst.flip());
            offset += n;
        }
        assertEquals(r.size(), offset);
        return out.array();
    }

    private static byte[] readAt(BlobReader r, long offset, int len) throws OriginException {
        ByteBuffer dst = ByteBuffer.allocate(len);
        int n = r.read(offset, dst);
        return Arrays.copyOf(dst.array(), n);
    }

    @Test
    void sequentialReadGetsEveryByteWithAGrowingWindowAndFewLargeGets() throws Exception {
        CachedContent c = content();
        Blob b = put("big.bin", bytes(100 * BLOCK + 123, 1));
        BlobReader r = open(c, b);
        assertArrayEquals(b.content, readAll(r, 32 * 1024));
        quiesce(c);
        assertEquals(8, r.window(), "the window grew to its maximum");
        ReadCounters n = c.counters();
        assertEquals(b.size(), n.originBytes(), "every byte fetched exactly once");
        assertTrue(n.originRequests() <= 101 / 4 + 8, "GETs merge blocks: " + n.originRequests());
        assertTrue(n.readaheadBlocks() >= 90, "most blocks came from readahead: " + n.readaheadBlocks());
        assertEquals(101, c.cache().stats().blocks(), "and all were cached");
        r.close();
        assertEquals(0, c.counters().buffersInUse(), "closing returns every buffer");

        long before = memory.readCount();
        BlobReader again = open(c, b);
        assertArrayEquals(b.content, readAll(again, 128 * 1024), "read back from the cache");
        assertEquals(before, memory.readCount(), "without a single GET");
        assertTrue(c.counters().diskLoads() > 50, "readahead from the cache disk: " + c.counters().diskLoads());
    }

    @Test
    void withLongBlocksTheCacheIsFilledAndReadBackWithDirectIo() throws Exception {
        ReadSettings big = new ReadSettings(1 << 20, Duration.ofSeconds(30), 1, 8, 4, 4, 2, 64L << 20, 4);
        CachedContent c = content(256L << 20, big);
        Blob b = put("model.bin", bytes(9 * (1 << 20) + 300_001, 30));
        assertArrayEquals(b.content, readAll(open(c, b), 128 * 1024));
        quiesce(c);
        assertEquals(10, c.cache().stats().blocks());
        long gets = memory.readCount();
        assertArrayEquals(b.content, readAll(open(c, b), 128 * 1024), "back from the cache");
        assertEquals(gets, memory.readCount());
        assertTrue(c.counters().diskLoads() >= 8, "whole blocks loaded ahead: " + c.counters());
        assertTrue(c.cache().directTransfers() >= 9 + 8, "with direct I/O: " + c.cache().directTransfers());
    }

    @Test
    void aSeekResetsTheWindowAndRandomReadsFetchOnlyTheirBlocks() throws Exception {
        CachedContent c = content();
        Blob b = put("random.bin", bytes(64 * BLOCK, 2));
        BlobReader r = open(c, b);
        for (long off = 0; off < 10 * BLOCK; off += 16 * 1024) {
            readAt(r, off, 16 * 1024);
        }
        assertEquals(8, r.window());
        quiesce(c);
        long requestsBefore = memory.readCount();
        long bytesBefore = memory.bytesRead();
        List<Integer> blocks = new ArrayList<>();
        for (int blk = 30; blk < 64; blk += 3) {
            blocks.add(blk);
        }
        Collections.shuffle(blocks, new Random(3));
        for (int blk : blocks) {
            long off = (long) blk * BLOCK + 1000;
            assertArrayEquals(Arrays.copyOfRange(b.content, (int) off, (int) off + 4096), readAt(r, off, 4096));
            assertEquals(1, r.window(), "reset by the seek to block " + blk);
        }
        assertEquals(blocks.size(), memory.readCount() - requestsBefore, "one GET per block touched");
        assertEquals((long) blocks.size() * BLOCK, memory.bytesRead() - bytesBefore, "and nothing more");
    }

    @Test
    void aFirstReadInTheMiddleDoesNotReadAheadButAContinuationDoes() throws Exception {
        CachedContent c = content();
        Blob b = put("f", bytes(40 * BLOCK, 4));
        BlobReader r = open(c, b);
        readAt(r, 20L * BLOCK, 100);
        assertEquals(1, memory.readCount(), "just the block read");
        assertEquals(0, r.blocksAhead());
        readAt(r, 20L * BLOCK + 100, BLOCK);
        assertTrue(r.blocksAhead() > 0, "a second, contiguous read starts the readahead");
    }

    @Test
    void concurrentMissesOfOneBlockAreFetchedOnce() throws Exception {
        CachedContent c = content();
        Blob b = put("shared.bin", bytes(20 * BLOCK, 5));
        origin.stall();
        int readers = 12;
        ExecutorService pool = Executors.newFixedThreadPool(readers);
        try {
            List<Future<byte[]>> got = new ArrayList<>();
            for (int i = 0; i < readers; i++) {
                BlobReader r = open(c, b);
                int off = 5 * BLOCK + i * 1000;
                got.add(pool.submit(() -> readAt(r, off, 2000)));
            }
            assertTrue(origin.awaitStalled(1, Duration.ofSeconds(30)));
            Thread.sleep(200); // let every reader arrive at the load in flight
            origin.unstall();
            for (int i = 0; i < readers; i++) {
                int off = 5 * BLOCK + i * 1000;
                assertArrayEquals(Arrays.copyOfRange(b.content, off, off + 2000), got.get(i).get(30, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, origin.readsStarted(), "one GET for twelve readers");
        assertEquals(BLOCK, memory.bytesRead());
        assertEquals(readers - 1, c.counters().joins());
    }

    @Test
    void smallBlobsAreFetchedWholeAndTheirMd5Checked() throws Exception {
        CachedContent c = content();
        Blob b = put("small.json", bytes(5000, 6));
        assertArrayEquals(b.content, readAll(open(c, b), 4096));
        assertEquals(1, c.counters().md5Verified());
        assertEquals(1, memory.readCount());

        Blob bad = put("bad.json", bytes(5000, 7));
        origin.corruptNextReads(1);
        BlobReader r = open(c, bad);
        OriginException e = assertThrows(OriginException.Failed.class, () -> readAt(r, 0, 100));
        assertTrue(e.getMessage().contains("Content-MD5"), e.getMessage());
        assertFalse(c.cache().contains(BlobKey.of(bad.name, bad.etag), 0), "corrupt bytes are not cached");
        assertArrayEquals(bad.content, readAll(r, 4096), "the next read fetches it again, intact");
        assertEquals(1, c.counters().md5Mismatches());
    }

    @Test
    void aConnectionDroppedMidBodyNeverLeavesAPartialBlock() throws Exception {
        CachedContent c = content();
        Blob b = put("f", bytes(10 * BLOCK, 8));
        origin.cutNextReads(1, BLOCK + 500);
        BlobReader r = open(c, b);
        assertThrows(OriginException.Unreachable.class, () -> readAt(r, 3L * BLOCK, 10));
        assertEquals(0, c.cache().stats().blocks(), "nothing cached from the broken response");
        assertArrayEquals(Arrays.copyOfRange(b.content, 3 * BLOCK, 3 * BLOCK + 10), readAt(r, 3L * BLOCK, 10));

        // A readahead that breaks is retried when the reader gets there; the reader never notices.
        Blob s = put("seq", bytes(12 * BLOCK, 9));
        BlobReader seq = open(c, s);
        readAt(seq, 0, 100);
        quiesce(c);
        origin.cutNextReads(1, 777); // the next GET is the readahead after block 1
        assertArrayEquals(s.content, readAll(seq, 16 * 1024));
        for (int i = 0; i < 12; i++) {
            assertArrayEquals(Arrays.copyOfRange(s.content, i * BLOCK, (i + 1) * BLOCK),
                    readAt(open(c, s), (long) i * BLOCK, BLOCK), "block " + i + " as cached");
        }
    }

    @Test
    void aCorruptBlockFileIsRefetched() throws Exception {
        CachedContent c = content();
        Blob b = put("f", bytes(4 * BLOCK, 10));
        readAll(open(c, b), BLOCK);
        quiesce(c);
        long gets = memory.readCount();
        Path file = c.cache().fileOf(BlobKey.of(b.name, b.etag), 2);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(raf.length() - 5);
            raf.write(0x42 ^ raf.readByte());
        }
        assertArrayEquals(b.content, readAll(open(c, b), 16 * 1024), "right bytes despite the damage");
        assertEquals(gets + 1, memory.readCount(), "the damaged block, and only it, was fetched again");
        assertEquals(1, c.cache().stats().corrupt());
    }

    @Test
    void anOpenFileKeepsItsVersionOrGetsVersionGoneNeverTheNewBytes() throws Exception {
        CachedContent c = content();
        Blob v1 = put("model.bin", bytes(6 * BLOCK, 11));
        BlobReader r = open(c, v1);
        assertArrayEquals(Arrays.copyOf(v1.content, 1000), readAt(r, 0, 1000));
        Blob v2 = put("model.bin", bytes(6 * BLOCK, 12));
        assertArrayEquals(Arrays.copyOf(v1.content, 1000), readAt(r, 0, 1000), "cached bytes of v1 still served");
        assertThrows(OriginException.VersionGone.class, () -> readAt(r, 4L * BLOCK, 1000),
                "an uncached block of v1 is gone");
        assertArrayEquals(v2.content, readAll(open(c, v2), 8192), "a new open reads v2");
    }

    @Test
    void anUnreachableOriginFailsUncachedReadsAndServesCachedOnes() throws Exception {
        CachedContent c = content();
        Blob cached = put("cached", bytes(3 * BLOCK, 13));
        Blob uncached = put("uncached", bytes(3 * BLOCK, 14));
        readAll(open(c, cached), BLOCK);
        memory.setState(BackendConnection.DISCONNECTED);
        assertArrayEquals(cached.content, readAll(open(c, cached), 4096));
        assertThrows(OriginException.Unreachable.class, () -> readAt(open(c, uncached), 0, 10));
    }

    @Test
    void aStalledOriginFailsTheReadWithinTheTimeoutWhileCachedReadsGoOn() throws Exception {
        CachedContent c = content(64L << 20, settings(Duration.ofMillis(300)));
        Blob cached = put("cached", bytes(20 * BLOCK, 15));
        Blob stuck = put("stuck", bytes(3 * BLOCK, 16));
        readAll(open(c, cached), BLOCK);
        quiesce(c);
        long getsBefore = origin.readsStarted();
        origin.stall();
        long t0 = System.nanoTime();
        OriginException e = assertThrows(OriginException.Unreachable.class, () -> readAt(open(c, stuck), 0, 10));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms >= 250 && ms < 10_000, "failed after " + ms + " ms");
        assertTrue(e.getMessage().contains("read timeout"), e.getMessage());
        assertThrows(OriginException.Unreachable.class, () -> readAt(open(c, stuck), 0, 10), "again");
        assertArrayEquals(cached.content, readAll(open(c, cached), 4096),
                "cached data (readahead from disk included) never waits for the stalled origin");
        assertEquals(2, origin.readsStarted() - getsBefore,
                "block 0 and the readahead of block 1; the second open joined both stalled fetches");
    }

    @Test
    void anOpenFileBiggerThanTheCacheIsServedUncachedBeyondWhatFits() throws Exception {
        long limit = 4 * BlockCache.accountedBytes(BLOCK);
        CachedContent c = content(limit, settings(Duration.ofSeconds(30)));
        Blob b = put("huge", bytes(16 * BLOCK, 17));
        BlobReader r = open(c, b);
        assertArrayEquals(b.content, readAll(r, 20_000));
        quiesce(c);
        assertEquals(4, c.cache().stats().blocks(), "the first four blocks, pinned, stay");
        assertTrue(c.cache().stats().usedBytes() <= limit);
        assertArrayEquals(b.content, readAll(r, 20_000), "and a second pass is still right");
    }

    @Test
    void readaheadStaysWithinTheMemoryBound() throws Exception {
        CachedContent c = content();
        int files = 10;
        List<Blob> blobs = new ArrayList<>();
        for (int i = 0; i < files; i++) {
            blobs.add(put("f" + i, bytes(40 * BLOCK, 100 + i)));
        }
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger maxInUse = new AtomicInteger();
        Thread sampler = new Thread(() -> {
            while (!stop.get()) {
                maxInUse.accumulateAndGet(c.counters().buffersInUse(), Math::max);
            }
        });
        sampler.start();
        ExecutorService pool = Executors.newFixedThreadPool(files);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<byte[]>> got = new ArrayList<>();
            for (Blob b : blobs) {
                BlobReader r = open(c, b);
                got.add(pool.submit(() -> {
                    go.await();
                    return readAll(r, 16 * 1024);
                }));
            }
            go.countDown();
            for (int i = 0; i < files; i++) {
                assertArrayEquals(blobs.get(i).content, got.get(i).get(60, TimeUnit.SECONDS));
            }
        } finally {
            stop.set(true);
            sampler.join();
            pool.shutdownNow();
        }
        assertTrue(maxInUse.get() <= 64, "buffers in use peaked at " + maxInUse.get() + " of 64");
    }

    @Test
    void cachedDataSurvivesARestartAndIsServedOffline() throws Exception {
        Blob b = put("persist", bytes(5 * BLOCK + 9, 18));
        try (BlockCache cache = BlockCache.open(tmp.resolve("blocks"), 64L << 20);
             CachedContent c = CachedContent.create("a", origin, cache, settings(Duration.ofSeconds(30)));
             BlobReader r = c.open(b.name, b.etag, b.size(), b.md5)) {
            readAll(r, BLOCK);
        }
        memory.setState(BackendConnection.DISCONNECTED);
        long gets = memory.readCount();
        try (BlockCache cache = BlockCache.open(tmp.resolve("blocks"), 64L << 20);
             CachedContent c = CachedContent.create("b", origin, cache, settings(Duration.ofSeconds(30)));
             BlobReader r = c.open(b.name, b.etag, b.size(), b.md5)) {
            assertArrayEquals(b.content, readAll(r, 128 * 1024));
        }
        assertEquals(gets, memory.readCount());
    }

    @Test
    void aFullCacheDiskIsSimulatedByAnUnwritableDirectoryAndReadsStillWork() throws Exception {
        CachedContent c = content();
        Blob b = put("f", bytes(3 * BLOCK, 19));
        Path tmpDir = tmp.resolve("blocks").resolve("tmp");
        Files.delete(tmpDir);
        Files.writeString(tmpDir, "not a directory: every fill fails");
        assertArrayEquals(b.content, readAll(open(c, b), 8192));
        quiesce(c);
        assertEquals(0, c.cache().stats().blocks());
        assertTrue(c.cache().stats().fillFailures() >= 3);
        assertEquals(0, c.cache().stats().reservedBytes(), "failed fills return their reservations");
    }
}
