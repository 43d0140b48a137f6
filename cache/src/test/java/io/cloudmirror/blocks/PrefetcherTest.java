package io.cloudmirror.blocks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cloudmirror.index.GenerationBuilder;
import io.cloudmirror.index.IndexStore;
import io.cloudmirror.origin.BackendConnection;
import io.cloudmirror.origin.BlobOrigin;
import io.cloudmirror.origin.OriginException;
import io.cloudmirror.origin.Probe;
import io.cloudmirror.origin.FaultyOrigin;
import io.cloudmirror.origin.InMemoryOrigin;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrefetcherTest {

    private static final int BLOCK = CachedContentTest.BLOCK;

    @TempDir
    Path tmp;

    private final InMemoryOrigin memory = new InMemoryOrigin();
    private final FaultyOrigin origin = new FaultyOrigin(memory);
    private final Clock clock = Clock.fixed(Instant.parse("2025-01-01T00:00:00Z"), ZoneOffset.UTC);
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private IndexStore index;

    @BeforeEach
    void setUp() throws IOException {
        index = IndexStore.open(tmp.resolve("index"), "media");
    }

    @AfterEach
    void tearDown() throws Exception {
        Collections.reverse(toClose);
        for (AutoCloseable c : toClose) {
            c.close();
        }
        index.close();
    }

    private void sync() throws IOException {
        try (GenerationBuilder b = index.newBuilder()) {
            memory.list("", b::add);
            index.publish(b.build(clock.instant()));
        }
    }

    private CachedContent content(long limit) throws IOException {
        BlockCache cache = BlockCache.open(tmp.resolve("blocks"), limit);
        toClose.add(cache);
        CachedContent c = CachedContent.create("t", origin, cache, CachedContentTest.settings(Duration.ofSeconds(30)));
        toClose.add(c);
        return c;
    }

    private Prefetcher prefetcher(CachedContent c, boolean download) {
        Prefetcher p = Prefetcher.create("t", index, c, download, clock);
        toClose.add(p);
        return p;
    }

    private static void runAndWait(Prefetcher p) throws InterruptedException {
        p.request();
        assertTrue(p.awaitIdle(60, TimeUnit.SECONDS), "prefetch pass did not finish");
    }

    private static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private boolean fullyCached(CachedContent c, String name) {
        InMemoryOrigin.Blob b = memory.get(name);
        BlobKey key = BlobKey.of(name, b.etag());
        for (int i = 0; i * (long) BLOCK < b.content().length; i++) {
            if (!c.cache().contains(key, i)) {
                return false;
            }
        }
        return true;
    }

    @Test
    void prefetchAllFetchesEveryBlobOnceAndReadsThenNeedNoOrigin() throws Exception {
        for (int i = 0; i < 60; i++) {
            memory.put("small/f" + i + ".json", bytes(500 + 97 * i, i));
        }
        memory.put("large/model.bin", bytes(30 * BLOCK + 17, 99));
        memory.put("empty.txt", new byte[0]);
        sync();
        CachedContent c = content(64L << 20);
        Prefetcher p = prefetcher(c, true);
        runAndWait(p);
        Prefetcher.Progress pr = p.progress();
        assertEquals(61, pr.blobsToFetch());
        assertEquals(61, pr.blobsFetched());
        assertEquals(pr.bytesToFetch() > 0, true);
        assertEquals("", pr.lastError());
        long total = 0;
        for (int i = 0; i < 60; i++) {
            total += 500 + 97 * i;
            assertTrue(fullyCached(c, "small/f" + i + ".json"));
        }
        assertTrue(fullyCached(c, "large/model.bin"));
        assertEquals(total + 30 * BLOCK + 17, memory.bytesRead(), "every byte fetched exactly once");
        assertEquals(61, c.counters().md5Verified(), "every blob's Content-MD5 checked (the large one in order)");

        long gets = memory.readCount();
        runAndWait(p);
        assertEquals(gets, memory.readCount(), "a second pass finds everything cached");
        assertEquals(0, p.progress().blobsToFetch());

        memory.setState(BackendConnection.DISCONNECTED);
        InMemoryOrigin.Blob large = memory.get("large/model.bin");
        try (BlobReader r = c.open("large/model.bin", large.etag(), large.content().length, null)) {
            ByteBuffer all = ByteBuffer.allocate(large.content().length);
            while (all.hasRemaining()) {
                r.read(all.position(), all);
            }
            assertArrayEquals(large.content(), all.array(), "served offline from the cache");
        }
    }

    @Test
    void aContainerLargerThanTheCacheGetsWhatFitsAndNothingIsEvicted() throws Exception {
        for (int i = 0; i < 20; i++) {
            memory.put("f" + i, bytes(2 * BLOCK, i));
        }
        sync();
        long limit = 9 * BlockCache.accountedBytes(BLOCK);
        CachedContent c = content(limit);
        Prefetcher p = prefetcher(c, true);
        runAndWait(p);
        Prefetcher.Progress pr = p.progress();
        assertEquals(4, pr.blobsFetched(), "four blobs of two blocks fit in nine blocks");
        assertTrue(pr.skippedForSpace() >= 16, "the rest were skipped: " + pr);
        assertEquals(0, c.cache().stats().evictions(), "prefetch never evicts");
        assertTrue(c.cache().stats().usedBytes() <= limit);
        int whole = 0;
        for (int i = 0; i < 20; i++) {
            whole += fullyCached(c, "f" + i) ? 1 : 0;
        }
        assertEquals(4, whole);
    }

    @Test
    void changedAndDeletedBlobsLoseTheirBlocksUnlessOpenAndChangedOnesAreFetchedAgain() throws Exception {
        memory.put("keep", bytes(BLOCK, 1));
        memory.put("change", bytes(BLOCK, 2));
        memory.put("delete", bytes(BLOCK, 3));
        memory.put("open-then-deleted", bytes(BLOCK, 4));
        sync();
        CachedContent c = content(64L << 20);
        Prefetcher p = prefetcher(c, true);
        runAndWait(p);
        assertEquals(4, c.cache().stats().blocks());
        InMemoryOrigin.Blob old = memory.get("open-then-deleted");
        BlobReader r = c.open("open-then-deleted", old.etag(), BLOCK, null);
        toClose.add(r);

        memory.put("change", bytes(BLOCK, 5));
        memory.delete("delete");
        memory.delete("open-then-deleted");
        sync();
        long fetched = memory.bytesRead();
        runAndWait(p);
        assertEquals(BLOCK, memory.bytesRead() - fetched, "only the changed blob was fetched");
        assertTrue(fullyCached(c, "keep") && fullyCached(c, "change"));
        assertEquals(3, c.cache().stats().blocks(), "keep, the new change, and the open file's version");
        assertEquals(2, p.progress().droppedBlocks(), "the old change and delete");
        ByteBuffer dst = ByteBuffer.allocate(BLOCK);
        r.read(0, dst);
        assertArrayEquals(old.content(), dst.array(), "the open file still reads its version");
    }

    @Test
    void withPrefetchNoneOnlyStaleVersionsAreDropped() throws Exception {
        memory.put("a", bytes(BLOCK, 1));
        sync();
        CachedContent c = content(64L << 20);
        InMemoryOrigin.Blob a = memory.get("a");
        try (BlobReader r = c.open("a", a.etag(), BLOCK, null)) {
            r.read(0, ByteBuffer.allocate(10));
        }
        CachedContentTest.quiesce(c);
        memory.put("a", bytes(BLOCK, 2));
        memory.put("b", bytes(BLOCK, 3));
        sync();
        long gets = memory.readCount();
        Prefetcher p = prefetcher(c, false);
        runAndWait(p);
        assertEquals(gets, memory.readCount(), "nothing downloaded");
        assertEquals(0, c.cache().stats().blocks(), "the old version of a is gone");
    }

    @Test
    void aMultiGetBlobThatFailsItsMd5IsDropped() throws Exception {
        memory.put("large", bytes(20 * BLOCK, 7));
        sync();
        CachedContent c = content(64L << 20);
        origin.corruptNextReads(1);
        Prefetcher p = prefetcher(c, true);
        runAndWait(p);
        assertFalse(fullyCached(c, "large"));
        assertEquals(0, c.cache().stats().blocks(), "every block of the corrupt download dropped");
        assertEquals(1, p.progress().failures());
        runAndWait(p);
        assertTrue(fullyCached(c, "large"), "the next pass gets it right");
    }

    @Test
    void anUnreachableOriginStopsThePassAtOnce() throws Exception {
        for (int i = 0; i < 50; i++) {
            memory.put("f" + i, bytes(1000, i));
        }
        sync();
        CachedContent c = content(64L << 20);
        memory.setState(BackendConnection.DISCONNECTED);
        Prefetcher p = prefetcher(c, true);
        runAndWait(p);
        assertTrue(origin.readsStarted() <= 8 + 4, "stopped after the first failures: " + origin.readsStarted());
        assertTrue(p.progress().lastError().contains("unreachable"), p.progress().lastError());
        memory.setState(BackendConnection.CONNECTED);
        runAndWait(p);
        assertEquals(50, p.progress().blobsFetched());
        assertEquals("", p.progress().lastError());
    }

    @Test
    void requestsDuringAPassCoalesceIntoOneMore() throws Exception {
        memory.put("a", bytes(BLOCK, 1));
        sync();
        CachedContent c = content(64L << 20);
        origin.stall();
        Prefetcher p = prefetcher(c, true);
        p.request();
        assertTrue(origin.awaitStalled(1, Duration.ofSeconds(30)));
        p.request();
        p.request();
        p.request();
        origin.unstall();
        assertTrue(p.awaitIdle(60, TimeUnit.SECONDS));
        assertEquals(2, p.progress().passes(), "one pass, then one more for all the requests during it");
    }

    @Test
    void aPassStopsWhenBlobAfterBlobFailsInsteadOfTryingEveryOne() throws Exception {
        for (int i = 0; i < 200; i++) {
            memory.put("f" + i, bytes(100, i));
        }
        sync();
        AtomicLong reads = new AtomicLong();
        BlobOrigin broken = new BlobOrigin() {
            @Override
            public String displayName() {
                return "broken";
            }

            @Override
            public void list(String prefix, BlobSink sink) {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(String name, String etag, long offset, ByteBuffer dst) throws OriginException {
                reads.incrementAndGet();
                throw new OriginException.Failed("cannot create the client: bad key", null);
            }

            @Override
            public Probe probe() {
                throw new UnsupportedOperationException();
            }

            @Override
            public void close() {
            }
        };
        BlockCache cache = BlockCache.open(tmp.resolve("blocks"), 64L << 20);
        toClose.add(cache);
        CachedContent c = CachedContent.create("t", broken, cache, CachedContentTest.settings(Duration.ofSeconds(30)));
        toClose.add(c);
        Prefetcher p = prefetcher(c, true);
        runAndWait(p);
        Prefetcher.Progress pr = p.progress();
        assertTrue(pr.lastError().contains("blobs in a row failed; the last: cannot create the client: bad key"),
                pr.toString());
        assertTrue(reads.get() < 40, "stopped after " + Prefetcher.FAILURES_IN_A_ROW + " failures in a row (and "
                + "those in flight), not 200: " + reads.get());
    }

    @Test
    void closingStopsAPassWithoutDroppingBlocksOfAPartialView() throws Exception {
        for (int i = 0; i < 3000; i++) {
            memory.put("d" + (i % 30) + "/f" + i, bytes(10, i));
        }
        sync();
        CachedContent c = content(64L << 20);
        Prefetcher p = prefetcher(c, true);
        runAndWait(p);
        long cached = c.cache().stats().usedBytes();
        assertTrue(cached > 0);
        // A second prefetcher over the same cache, closed at once: whatever it saw, nothing is dropped.
        Prefetcher q = Prefetcher.create("t2", index, c, true, clock);
        q.request();
        q.close();
        assertTrue(q.awaitIdle(60, TimeUnit.SECONDS), "a closed prefetcher ends its pass");
        assertEquals(cached, c.cache().stats().usedBytes(), "no block dropped");
        assertEquals(0, c.cache().stats().evictions());
    }
}
