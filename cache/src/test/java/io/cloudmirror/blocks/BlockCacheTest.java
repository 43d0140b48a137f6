package io.cloudmirror.blocks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlockCacheTest {

    private static final int BLOCK = 256 * 1024;
    private static final long ACCOUNTED = BlockCache.accountedBytes(BLOCK);

    @TempDir
    Path tmp;

    private static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] read(BlockCache c, BlobKey key, int index, int length, int from, int len, boolean direct) {
        ByteBuffer dst = direct ? ByteBuffer.allocateDirect(len + 7) : ByteBuffer.allocate(len + 7);
        dst.position(3).limit(3 + len);
        if (!c.read(key, index, length, from, dst)) {
            return null;
        }
        assertEquals(3 + len, dst.position(), "position advanced by the bytes read");
        byte[] out = new byte[len];
        dst.position(3);
        dst.get(out);
        return out;
    }

    @Test
    void blocksRoundTripForEveryRangeShape() throws IOException {
        try (BlockCache c = BlockCache.open(tmp, 64L << 20)) {
            BlobKey key = BlobKey.of("models/a.bin", "\"0x1\"");
            byte[] full = bytes(BLOCK, 1);
            byte[] tail = bytes(100_000, 2);
            assertTrue(c.put(key, 0, ByteBuffer.wrap(full), true));
            assertTrue(c.put(key, 3, ByteBuffer.wrap(tail), true));
            assertFalse(c.put(key, 0, ByteBuffer.wrap(full), true), "already cached");
            int[][] ranges = {{0, BLOCK}, {0, 65_536}, {65_536, 131_072}, {1, 10}, {65_530, 20}, {70_000, 150_000},
                {BLOCK - 1, 1}, {BLOCK - 65_536, 65_536}};
            for (int[] r : ranges) {
                for (boolean direct : new boolean[] {false, true}) {
                    assertArrayEquals(Arrays.copyOfRange(full, r[0], r[0] + r[1]),
                            read(c, key, 0, BLOCK, r[0], r[1], direct), "range " + r[0] + "+" + r[1]);
                }
            }
            assertArrayEquals(tail, read(c, key, 3, tail.length, 0, tail.length, true), "short last block");
            assertArrayEquals(Arrays.copyOfRange(tail, 65_536, tail.length),
                    read(c, key, 3, tail.length, 65_536, tail.length - 65_536, false), "last, short chunk");
            assertEquals(null, read(c, key, 1, BLOCK, 0, 10, false), "block never stored");
            assertEquals(null, read(c, BlobKey.of("models/a.bin", "\"0x2\""), 0, BLOCK, 0, 10, false),
                    "another version of the same blob shares nothing");
            CacheStats s = c.stats();
            assertEquals(2, s.blocks());
            assertEquals(ACCOUNTED + BlockCache.accountedBytes(tail.length), s.usedBytes());
            assertEquals(2, s.misses());
        }
    }

    @Test
    void longBlocksAreWrittenAndLoadedWithDirectIoAndStillChecked() throws IOException {
        try (BlockCache c = BlockCache.open(tmp, 64L << 20)) {
            BlobKey key = BlobKey.of("big", "e");
            int[] lengths = {1 << 20, 300_001, BlockFormat.ALIGNED_MIN};
            for (int i = 0; i < lengths.length; i++) {
                byte[] data = bytes(lengths[i], 40 + i);
                ByteBuffer aligned = BlockFormat.pageBuffer(BlockFormat.roundUp(lengths[i]));
                aligned.put(data).flip();
                assertTrue(c.put(key, i, aligned, true), "length " + lengths[i]);
                assertEquals(BlockFormat.PAGE + (long) BlockFormat.roundUp(lengths[i]), Files.size(c.fileOf(key, i)),
                        "page-aligned layout: a header page, then whole pages of data");
                ByteBuffer whole = BlockFormat.pageBuffer(1 << 20).clear();
                assertTrue(c.readWhole(key, i, lengths[i], whole));
                assertEquals(lengths[i], whole.position());
                byte[] got = new byte[lengths[i]];
                whole.flip().get(got);
                assertArrayEquals(data, got, "whole block, direct I/O, length " + lengths[i]);
                assertArrayEquals(Arrays.copyOfRange(data, 70_000, 70_100), read(c, key, i, lengths[i], 70_000, 100,
                        false), "a partial read of the same file, through the page cache");
                ByteBuffer heap = ByteBuffer.allocate(lengths[i]);
                assertTrue(c.readWhole(key, i, lengths[i], heap), "a buffer unfit for direct I/O reads buffered");
                assertArrayEquals(data, heap.array());
            }
            assertEquals(6, c.directTransfers(), "three writes and three whole loads bypassed the page cache");
            Path f = c.fileOf(key, 1);
            flip(f, BlockFormat.PAGE + 300_000);
            assertFalse(c.readWhole(key, 1, 300_001, BlockFormat.pageBuffer(1 << 20).clear()),
                    "damage in the last chunk of a direct load is caught");
            assertFalse(c.contains(key, 1));
            assertEquals(1, c.stats().corrupt());
        }
    }

    @Test
    void fileNamesAreHashesNeverBlobNames() throws IOException {
        try (BlockCache c = BlockCache.open(tmp, 64L << 20)) {
            c.put(BlobKey.of("secret-project/plan.txt", "e1"), 0, ByteBuffer.wrap(bytes(10, 3)), true);
        }
        try (Stream<Path> all = Files.walk(tmp)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                String name = p.getFileName().toString();
                assertFalse(name.contains("secret") || name.contains("plan"), p.toString());
                if (Files.isRegularFile(p) && !name.equals("cache.lock")) {
                    assertTrue(name.matches("[0-9a-f]{32}-0"), name);
                    assertFalse(new String(Files.readAllBytes(p), java.nio.charset.StandardCharsets.ISO_8859_1)
                            .contains("secret"), "the blob name is not in the file either");
                }
            }
        }
    }

    @Test
    void evictsLeastRecentlyUsedFirst() throws IOException {
        try (BlockCache c = BlockCache.open(tmp, 4 * ACCOUNTED)) {
            BlobKey key = BlobKey.of("f", "e");
            for (int i = 0; i < 4; i++) {
                assertTrue(c.put(key, i, ByteBuffer.wrap(bytes(BLOCK, i)), true));
            }
            assertTrue(c.read(key, 0, BLOCK, 0, ByteBuffer.allocate(10)), "touch block 0");
            assertTrue(c.put(key, 4, ByteBuffer.wrap(bytes(BLOCK, 4)), true));
            assertFalse(c.contains(key, 1), "block 1 was the least recently used");
            assertTrue(c.contains(key, 0) && c.contains(key, 2) && c.contains(key, 3) && c.contains(key, 4));
            assertFalse(Files.exists(c.fileOf(key, 1)), "its file is gone");
            assertEquals(4 * ACCOUNTED, c.stats().usedBytes());
            assertEquals(1, c.stats().evictions());
            assertFalse(c.put(BlobKey.of("g", "e"), 0, ByteBuffer.wrap(bytes(BLOCK, 9)), false),
                    "a fill that may not evict does not fit");
            assertEquals(List.of(2, 3, 0, 4), c.lruOrder().stream().map(BlockId::index).toList());
        }
    }

    @Test
    void pinnedVersionsAreNeverEvicted() throws IOException {
        try (BlockCache c = BlockCache.open(tmp, 4 * ACCOUNTED)) {
            BlobKey open = BlobKey.of("open-file", "e");
            BlobKey other = BlobKey.of("other", "e");
            c.pin(open);
            c.pin(open);
            assertTrue(c.put(open, 0, ByteBuffer.wrap(bytes(BLOCK, 0)), true));
            assertTrue(c.put(open, 1, ByteBuffer.wrap(bytes(BLOCK, 1)), true));
            for (int i = 0; i < 10; i++) {
                assertTrue(c.put(other, i, ByteBuffer.wrap(bytes(BLOCK, 10 + i)), true), "block " + i);
            }
            assertTrue(c.contains(open, 0) && c.contains(open, 1), "the open file's blocks stayed");
            c.unpin(open);
            assertTrue(c.put(other, 20, ByteBuffer.wrap(bytes(BLOCK, 30)), true));
            assertTrue(c.contains(open, 0), "still pinned once");
            c.unpin(open);
            for (int i = 21; i < 25; i++) {
                c.put(other, i, ByteBuffer.wrap(bytes(BLOCK, 10 + i)), true);
            }
            assertFalse(c.contains(open, 0) || c.contains(open, 1), "evictable once unpinned");
            assertThrows(IllegalStateException.class, () -> c.unpin(open));
        }
    }

    @Test
    void whenEverythingIsPinnedAFillIsRefusedNotForced() throws IOException {
        try (BlockCache c = BlockCache.open(tmp, 2 * ACCOUNTED)) {
            BlobKey key = BlobKey.of("big", "e");
            c.pin(key);
            assertTrue(c.put(key, 0, ByteBuffer.wrap(bytes(BLOCK, 0)), true));
            assertTrue(c.put(key, 1, ByteBuffer.wrap(bytes(BLOCK, 1)), true));
            assertFalse(c.put(key, 2, ByteBuffer.wrap(bytes(BLOCK, 2)), true));
            assertEquals(2 * ACCOUNTED, c.stats().usedBytes());
            assertEquals(1, c.stats().fillsRefused());
        }
    }

    @Test
    void theAccountedLimitHoldsUnderConcurrentFillsAndReads() throws Exception {
        // The same, measured on a real file system's usage, is BlockCacheDiskIT.
        long limit = 10 * ACCOUNTED;
        int threads = 16;
        try (BlockCache c = BlockCache.open(tmp, limit)) {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong maxSeenAccounted = new AtomicLong();
            Thread sampler = new Thread(() -> {
                while (!stop.get()) {
                    CacheStats s = c.stats();
                    maxSeenAccounted.accumulateAndGet(s.usedBytes() + s.reservedBytes(), Math::max);
                }
            });
            sampler.start();
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<?>> futures = new ArrayList<>();
            byte[] data = bytes(BLOCK, 5);
            for (int t = 0; t < threads; t++) {
                int seed = t;
                futures.add(pool.submit(() -> {
                    Random r = new Random(seed);
                    for (int i = 0; i < 40; i++) {
                        int blob = r.nextInt(8);
                        BlobKey key = BlobKey.of("blob-" + blob, "e");
                        int block = r.nextInt(6);
                        int length = BLOCK - (blob + block) % 3 * 70_000;
                        if (r.nextBoolean()) {
                            c.put(key, block, ByteBuffer.wrap(data, 0, length), true);
                        } else if (c.contains(key, block)) {
                            ByteBuffer dst = ByteBuffer.allocate(length);
                            if (c.read(key, block, length, 0, dst)) {
                                assertArrayEquals(Arrays.copyOf(data, length), dst.array());
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(2, TimeUnit.MINUTES);
            }
            pool.shutdown();
            stop.set(true);
            sampler.join();
            assertTrue(maxSeenAccounted.get() <= limit, "accounted " + maxSeenAccounted.get() + " > " + limit);
            assertEquals(diskBytes(tmp), c.stats().usedBytes(), "the ledger matches the disk");
            assertEquals(0, c.stats().reservedBytes());
            assertEquals(0, c.stats().corrupt(), "concurrent fills, evictions and reads never see a torn block");
            assertTrue(c.stats().evictions() > 0, "the test did evict");
        }
    }

    /** Bytes of block and temporary files, in allocation units (when nothing is being written). */
    static long diskBytes(Path dir) {
        long total = 0;
        try (Stream<Path> subs = Files.list(dir)) {
            for (Path sub : (Iterable<Path>) subs.filter(Files::isDirectory)::iterator) {
                try (Stream<Path> files = Files.list(sub)) {
                    for (Path f : (Iterable<Path>) files::iterator) {
                        try {
                            total += BlockFiles.roundUp(Files.size(f));
                        } catch (IOException gone) {
                            // deleted or renamed while we looked
                        }
                    }
                } catch (IOException gone) {
                    // ignore
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return total;
    }

    @Test
    void corruptOrTruncatedBlocksAreDroppedNeverServed() throws IOException {
        try (BlockCache c = BlockCache.open(tmp, 64L << 20)) {
            byte[] data = bytes(BLOCK, 6);
            BlobKey key = BlobKey.of("f", "e");
            String[] damages = {"flip a data byte", "flip a header byte", "truncate", "empty", "extend",
                "another block's file", "another version's file"};
            for (String damage : damages) {
                assertTrue(c.put(key, 0, ByteBuffer.wrap(data), true), damage);
                Path f = c.fileOf(key, 0);
                switch (damage) {
                    case "flip a data byte" -> flip(f, Files.size(f) - 1000);
                    case "flip a header byte" -> flip(f, 13);
                    case "truncate" -> truncate(f, Files.size(f) - 1);
                    case "empty" -> truncate(f, 0);
                    case "extend" -> Files.write(f, new byte[] {1}, java.nio.file.StandardOpenOption.APPEND);
                    case "another block's file" -> {
                        c.put(key, 1, ByteBuffer.wrap(data), true);
                        Files.copy(c.fileOf(key, 1), f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    }
                    case "another version's file" -> {
                        BlobKey other = BlobKey.of("f", "e2");
                        c.put(other, 0, ByteBuffer.wrap(data), true);
                        Files.copy(c.fileOf(other, 0), f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    }
                    default -> throw new AssertionError(damage);
                }
                long before = c.stats().corrupt();
                int from = damage.equals("flip a data byte") ? BLOCK - 65_536 : 0;
                assertEquals(null, read(c, key, 0, BLOCK, from, 65_536, true), damage + " is not served");
                assertEquals(before + 1, c.stats().corrupt(), damage + " is counted");
                assertFalse(c.contains(key, 0), damage + ": dropped from the index");
                assertFalse(Files.exists(f), damage + ": its file deleted");
            }
            assertTrue(c.put(key, 0, ByteBuffer.wrap(data), true), "refilled after all that");
            assertArrayEquals(data, read(c, key, 0, BLOCK, 0, BLOCK, false));
        }
    }

    @Test
    void smallBlocksReadWholeInOneCallCatchEveryDamageToo() throws IOException {
        try (BlockCache c = BlockCache.open(tmp, 64L << 20)) {
            byte[] data = bytes(10_000, 9);
            BlobKey key = BlobKey.of("small.json", "e");
            for (String damage : new String[] {"none", "flip", "truncate", "extend", "empty"}) {
                assertTrue(c.put(key, 0, ByteBuffer.wrap(data), true), damage);
                Path f = c.fileOf(key, 0);
                switch (damage) {
                    case "none" -> { }
                    case "flip" -> flip(f, Files.size(f) - 1);
                    case "truncate" -> truncate(f, Files.size(f) - 1);
                    case "extend" -> Files.write(f, new byte[] {0}, java.nio.file.StandardOpenOption.APPEND);
                    case "empty" -> truncate(f, 0);
                    default -> throw new AssertionError(damage);
                }
                byte[] got = read(c, key, 0, data.length, 0, data.length, true);
                if (damage.equals("none")) {
                    assertArrayEquals(data, got);
                    c.drop(key);
                } else {
                    assertEquals(null, got, damage + " is not served");
                    assertFalse(c.contains(key, 0), damage);
                }
            }
        }
    }

    @Test
    void aCorruptChunkOutsideTheRangeReadIsNotCheckedButIsCaughtWhenRead() throws IOException {
        try (BlockCache c = BlockCache.open(tmp, 64L << 20)) {
            byte[] data = bytes(BLOCK, 7);
            BlobKey key = BlobKey.of("f", "e");
            c.put(key, 0, ByteBuffer.wrap(data), true);
            Path f = c.fileOf(key, 0);
            flip(f, Files.size(f) - 10); // in the last chunk
            assertArrayEquals(Arrays.copyOf(data, 65_536), read(c, key, 0, BLOCK, 0, 65_536, true),
                    "chunk 0 is intact and verified on its own");
            assertEquals(null, read(c, key, 0, BLOCK, BLOCK - 20, 20, false), "the damaged chunk is caught");
        }
    }

    @Test
    void aMissingFileIsAMiss() throws IOException {
        try (BlockCache c = BlockCache.open(tmp, 64L << 20)) {
            BlobKey key = BlobKey.of("f", "e");
            c.put(key, 0, ByteBuffer.wrap(bytes(100, 8)), true);
            Files.delete(c.fileOf(key, 0));
            assertEquals(null, read(c, key, 0, 100, 0, 100, false));
            assertFalse(c.contains(key, 0));
            assertEquals(0, c.stats().usedBytes());
        }
    }

    @Test
    void blocksPersistAcrossRestartsInTheirAgeOrderAndLeftoversGo() throws IOException {
        BlobKey key = BlobKey.of("f", "e");
        byte[][] data = new byte[4][];
        try (BlockCache c = BlockCache.open(tmp, 64L << 20)) {
            for (int i = 0; i < 4; i++) {
                data[i] = bytes(BLOCK, 20 + i);
                c.put(key, i, ByteBuffer.wrap(data[i]), true);
                Files.setLastModifiedTime(c.fileOf(key, i), FileTime.fromMillis(1_000_000L * (4 - i)));
            }
        }
        Files.write(tmp.resolve("tmp").resolve("1234.tmp"), new byte[5000]);
        Files.write(tmp.resolve("ab").resolve("not-a-block"), new byte[5000]);
        Files.write(tmp.resolve("ab").resolve("0123456789abcdef0123456789abcdef-1"), new byte[5000]);
        Files.write(tmp.resolve("cd").resolve("cd23456789abcdef0123456789abcdef-1"), new byte[10]);
        try (BlockCache c = BlockCache.open(tmp, 64L << 20)) {
            assertEquals(4, c.stats().blocks(), "exactly the four blocks");
            assertEquals(4 * ACCOUNTED, c.stats().usedBytes());
            for (int i = 0; i < 4; i++) {
                assertArrayEquals(data[i], read(c, key, i, BLOCK, 0, BLOCK, true), "block " + i + " after restart");
            }
            assertFalse(Files.exists(tmp.resolve("tmp").resolve("1234.tmp")), "temporary leftovers removed");
            assertFalse(Files.exists(tmp.resolve("ab").resolve("not-a-block")), "foreign files removed");
            assertFalse(Files.exists(tmp.resolve("ab").resolve("0123456789abcdef0123456789abcdef-1")),
                    "a block file in the wrong directory is removed");
            assertFalse(Files.exists(tmp.resolve("cd").resolve("cd23456789abcdef0123456789abcdef-1")),
                    "a file too small to be a block is removed");
        }
        try (BlockCache c = BlockCache.open(tmp, 2 * ACCOUNTED)) {
            assertEquals(2, c.stats().blocks(), "a lower limit evicts at start");
            assertTrue(c.contains(key, 0) && c.contains(key, 1), "the youngest files stay: " + c.lruOrder());
        }
    }

    @Test
    void oneProcessAtATime() throws IOException {
        try (BlockCache c = BlockCache.open(tmp, 64L << 20)) {
            IOException e = assertThrows(IOException.class, () -> BlockCache.open(tmp, 64L << 20));
            assertTrue(e.getMessage().contains("in use"), e.getMessage());
        }
        BlockCache.open(tmp, 64L << 20).close();
    }

    @Test
    void retainDropsVersionsThatLeftTheTreeUnlessPinned() throws IOException {
        try (BlockCache c = BlockCache.open(tmp, 64L << 20)) {
            BlobKey keep = BlobKey.of("keep", "v1");
            BlobKey replaced = BlobKey.of("changed", "v1");
            BlobKey deletedButOpen = BlobKey.of("deleted", "v1");
            for (BlobKey k : List.of(keep, replaced, deletedButOpen)) {
                c.put(k, 0, ByteBuffer.wrap(bytes(1000, 1)), true);
                c.put(k, 1, ByteBuffer.wrap(bytes(1000, 2)), true);
            }
            c.pin(deletedButOpen);
            LiveVersions live = LiveVersions.builder().add(keep).add(BlobKey.of("changed", "v2")).build();
            assertEquals(2, c.retain(live));
            assertTrue(c.contains(keep, 0) && c.contains(keep, 1));
            assertFalse(c.contains(replaced, 0) || c.contains(replaced, 1));
            assertTrue(c.contains(deletedButOpen, 0), "an open file keeps its version");
            c.pin(deletedButOpen);
            c.unpin(deletedButOpen);
            assertTrue(c.contains(deletedButOpen, 0), "still pinned once");
            c.unpin(deletedButOpen);
            assertFalse(c.contains(deletedButOpen, 0) || c.contains(deletedButOpen, 1),
                    "its blocks went with its last pin, without waiting for another retain");
            assertEquals(0, c.retain(live));
            assertEquals(2, c.stats().blocks());
        }
    }

    @Test
    void aPinnedVersionThatCameBackToTheTreeStaysAfterItsLastPin() throws IOException {
        try (BlockCache c = BlockCache.open(tmp, 64L << 20)) {
            BlobKey k = BlobKey.of("flapping", "v1");
            c.put(k, 0, ByteBuffer.wrap(bytes(1000, 1)), true);
            c.pin(k);
            assertEquals(0, c.retain(LiveVersions.builder().build()), "pinned: kept");
            assertEquals(0, c.retain(LiveVersions.builder().add(k).build()), "back in the tree");
            c.unpin(k);
            assertTrue(c.contains(k, 0), "live again, so its last pin does not take it");
        }
    }

    private static void flip(Path f, long at) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.seek(at);
            int b = raf.read();
            raf.seek(at);
            raf.write(b ^ 0x01);
        }
    }

    private static void truncate(Path f, long size) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(size);
        }
    }
}
