package io.cloudmirror.blocks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The block cache on a real, small file system (a tmpfs this test mounts; it needs root): the size limit
 * measured as the file system itself counts it under concurrent fills, and a disk that fills up before the
 * limit does (ENOSPC).
 */
class BlockCacheDiskIT {

    private static final int BLOCK = 256 * 1024;

    @TempDir
    Path tmp;

    private Path dir;

    private void mountTmpfs(String size) throws Exception {
        dir = Files.createDirectories(tmp.resolve("fs"));
        Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size, "cloudmirror-test", dir.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "mounting a tmpfs needs root: " + out);
    }

    @AfterEach
    void unmount() throws Exception {
        if (dir != null) {
            new ProcessBuilder("umount", "-l", dir.toString()).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static long used(FileStore store) throws IOException {
        return store.getTotalSpace() - store.getUnallocatedSpace();
    }

    @Test
    void theFileSystemNeverHoldsMoreThanTheLimitUnderConcurrentFills() throws Exception {
        mountTmpfs("256m");
        long limit = 12 * BlockCache.accountedBytes(BLOCK);
        try (BlockCache c = BlockCache.open(dir.resolve("blocks"), limit)) {
            FileStore store = Files.getFileStore(dir);
            long baseline = used(store);
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong maxUsed = new AtomicLong();
            Thread sampler = new Thread(() -> {
                while (!stop.get()) {
                    try {
                        maxUsed.accumulateAndGet(used(store) - baseline, Math::max);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            });
            sampler.start();
            byte[] data = new byte[BLOCK];
            new Random(1).nextBytes(data);
            ExecutorService pool = Executors.newFixedThreadPool(16);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                int seed = t;
                futures.add(pool.submit(() -> {
                    Random r = new Random(seed);
                    for (int i = 0; i < 60; i++) {
                        c.put(BlobKey.of("b" + r.nextInt(10), "e"), r.nextInt(8), ByteBuffer.wrap(data), true);
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(5, TimeUnit.MINUTES);
            }
            pool.shutdown();
            stop.set(true);
            sampler.join();
            assertTrue(maxUsed.get() <= limit, "the file system held " + maxUsed.get() + " bytes, limit " + limit);
            assertTrue(c.stats().evictions() > 50, "the test did churn: " + c.stats());
            assertEquals(used(store) - baseline, c.stats().usedBytes(), "the ledger matches the file system");
        }
    }

    @Test
    void aFullDiskFailsTheFillCleanlyAndLaterFillsWorkAgain() throws Exception {
        mountTmpfs("1m");
        try (BlockCache c = BlockCache.open(dir.resolve("blocks"), 1L << 30)) {
            byte[] data = new byte[BLOCK];
            new Random(2).nextBytes(data);
            BlobKey key = BlobKey.of("f", "e");
            int stored = 0;
            for (int i = 0; i < 8; i++) {
                stored += c.put(key, i, ByteBuffer.wrap(data), true) ? 1 : 0;
            }
            assertTrue(stored >= 2 && stored < 4, "a 1 MiB disk takes two or three blocks, not " + stored);
            CacheStats s = c.stats();
            assertEquals(8 - stored, s.fillFailures(), "every other fill failed, counted");
            assertEquals(0, s.reservedBytes(), "and returned its reservation");
            try (Stream<Path> tmpFiles = Files.list(dir.resolve("blocks").resolve("tmp"))) {
                assertEquals(0, tmpFiles.count(), "no partial temporary file is left behind");
            }
            for (int i = 0; i < stored; i++) {
                ByteBuffer dst = ByteBuffer.allocate(BLOCK);
                assertTrue(c.read(key, i, BLOCK, 0, dst), "block " + i + " stored before the disk filled");
                assertArrayEquals(data, dst.array());
            }
            assertFalse(c.contains(key, stored));
            c.drop(key);
            assertTrue(c.put(key, 7, ByteBuffer.wrap(data), true), "space freed: fills work again");
        }
    }
}
