package io.cloudmirror.e2e;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import io.cloudmirror.fuse.FuseAdapter;
import io.cloudmirror.blocks.ReadSettings;
import io.cloudmirror.origin.Azurite;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bounded load (about 40 s): 32 readers through the kernel while the container churns and a sync runs every
 * few seconds. Every read returns the whole bytes of a version the blob had; the only errors are a path gone
 * since it was listed (ENOENT) and the documented ESTALE; a handle that outlives a change of size may be cut
 * short (the documented kernel limitation) but never shows another version's byte. Afterwards, once idle, the
 * daemon's open files, heap and direct buffer memory (both after a full GC) and threads are back near what
 * they were after its first sync and prefetch (read over JMX: {@link DaemonJvm}).
 */
class StressIT {

    @RegisterExtension
    static final Azurite AZURITE = new Azurite();

    private static final int READERS = 32;
    private static final Duration RUN = Duration.ofSeconds(Long.getLong("cloudmirror.stress.seconds", 40));
    /**
     * Heap the daemon may hold after the load beyond its baseline, both after a full GC (measured: 0.1 MiB;
     * keeping each closed handle, about 600 bytes, grew it by 26 MiB).
     */
    private static final long HEAP_SLACK = 16L << 20;
    /**
     * Direct buffer memory the daemon may hold after the load beyond its baseline: the block buffers its
     * pool may keep idle (a quarter of the pool, see BufferPool), each a block plus a page for alignment,
     * and 8 MiB for per-thread scratch buffers (block files, the JDK's temporary buffers for channel I/O).
     */
    private static final long DIRECT_SLACK = ReadSettings.defaults().memoryBytes() / ReadSettings.DEFAULT_BLOCK_SIZE / 4
            * (ReadSettings.DEFAULT_BLOCK_SIZE + 4096L) + (8L << 20);
    /**
     * Threads the daemon may have after the load beyond its baseline, counted by family (name without digits)
     * so that pool threads timing out do not hide new ones: pools started on first use (2 cache loaders, the
     * SDK's parallel scheduler, one per core) and 4 for SDK and JMX threads not timed out yet (the SDK's
     * pool keeps idle threads 60 s; the test waits up to 90 s). Measured on 2 cores: 8 allowed, 6-8 seen; a
     * parked thread left by each sync gave 15 over 13 syncs.
     */
    private static final int IDLE_THREADS = 2 + Runtime.getRuntime().availableProcessors() + 4;
    /** libfuse's workers, which it keeps once started: bounded by their own limit, not by {@link #IDLE_THREADS}. */
    private static final String FUSE_WORKERS = "fuse-worker-#";

    @TempDir
    Path tmp;

    /** Every version each blob ever had (added before it is uploaded). */
    private final Map<String, List<byte[]>> versions = new ConcurrentHashMap<>();
    private final Random random = new Random(32);

    @Test
    void readersSeeOnlyRightBytesWhileSyncsChurnAndFdsMemoryThreadsReturnToBaseline() throws Exception {
        BlobContainerClient c = AZURITE.createContainer("stress");
        Map<String, byte[]> initial = new java.util.TreeMap<>();
        for (int i = 0; i < 200; i++) {
            initial.put(String.format("d%d/f%03d.bin", i % 8, i), bytes(random.nextInt(96 * 1024)));
        }
        for (int i = 0; i < 4; i++) {
            initial.put("large/l" + i + ".bin", bytes(2 * 1024 * 1024 + random.nextInt(1 << 20)));
        }
        put(c, initial);

        Cli cli = new Cli(tmp);
        try (MirrorMount m = new MirrorMount(tmp).writeConfig(AZURITE.endpoint().toString(), AZURITE.accountKey(),
                "stress", "NoIndexTags", "")) {
            String yaml = Files.readString(m.config).replace("frequency: \"@hourly\"", "frequency: never");
            Files.writeString(m.config, yaml);
            assertEquals(0, m.mount(cli.env()).exit(), m.logText());
            cli.await(s -> s.generation() >= 1, Duration.ofMinutes(2), m);
            awaitLogCount(m, "prefetch pass done", 1);
            long pid = m.daemonPid();
            Thread.sleep(1000);
            try (DaemonJvm jvm = DaemonJvm.attach(pid)) {
                DaemonJvm.Sample memoryBefore = jvm.afterFullGc();
                int fdsBefore = fds(pid);

                load(c, m);

                long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
                while ((fds(pid) > fdsBefore + 8 || grownBesidesWorkers(memoryBefore.threads(), jvm.threads())
                        > IDLE_THREADS) && System.nanoTime() < deadline) {
                    Thread.sleep(500);
                }
                int fdsAfter = fds(pid);
                DaemonJvm.Sample memoryAfter = jvm.afterFullGc();
                Map<String, Integer> newThreads = DaemonJvm.grown(memoryBefore.threads(), memoryAfter.threads());
                int workers = memoryAfter.threads().getOrDefault(FUSE_WORKERS, 0);
                int newThreadCount = grownBesidesWorkers(memoryBefore.threads(), memoryAfter.threads());
                System.out.printf("daemon open files: baseline %d, after %d%n", fdsBefore, fdsAfter);
                System.out.printf("daemon after a full GC: baseline %s; after %s; threads more than at baseline %s%n",
                        memoryBefore, memoryAfter, newThreads);
                assertAll(
                        () -> assertTrue(fdsAfter <= fdsBefore + 8,
                                "open files back near baseline " + fdsBefore + ": " + fdsAfter),
                        () -> assertTrue(memoryAfter.heapBytes() <= memoryBefore.heapBytes() + HEAP_SLACK,
                                "heap back near baseline: " + memoryBefore + " -> " + memoryAfter),
                        () -> assertTrue(memoryAfter.directBytes() <= memoryBefore.directBytes() + DIRECT_SLACK,
                                "direct buffer memory back near baseline: " + memoryBefore + " -> " + memoryAfter),
                        () -> assertTrue(workers <= FuseAdapter.WORKERS, workers + " libfuse workers, more than its "
                                + FuseAdapter.WORKERS),
                        () -> assertTrue(newThreadCount <= IDLE_THREADS,
                                newThreadCount + " threads more than at baseline: " + newThreads));
            }
        }
    }

    /** How many threads more {@code after} has than {@code before}, libfuse's workers aside. */
    private static int grownBesidesWorkers(Map<String, Integer> before, Map<String, Integer> after) {
        Map<String, Integer> grown = DaemonJvm.grown(before, after);
        grown.remove(FUSE_WORKERS);
        return grown.values().stream().mapToInt(Integer::intValue).sum();
    }

    /**
     * 32 readers read whole files through the kernel while the container churns and a sync runs every 1.5-3 s,
     * for {@link #RUN}; fails on a wrong byte or an undocumented error.
     */
    private void load(BlobContainerClient c, MirrorMount m) throws Exception {
        Path root = m.mountpoint.resolve("mirrorSubDir");

        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong reads = new AtomicLong();
        AtomicLong bytesRead = new AtomicLong();
        AtomicLong gone = new AtomicLong();
        AtomicLong stale = new AtomicLong();
        AtomicLong cut = new AtomicLong();
        List<String> wrong = new CopyOnWriteArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(READERS);
        List<Future<?>> readers = new ArrayList<>();
        for (int r = 0; r < READERS; r++) {
            readers.add(pool.submit(() -> {
                ThreadLocalRandom rnd = ThreadLocalRandom.current();
                while (!stop.get() && wrong.size() < 10) {
                    try {
                        Path dir = rnd.nextInt(10) == 0 ? root.resolve("large") : root.resolve("d" + rnd.nextInt(8));
                        List<Path> files;
                        try (Stream<Path> l = Files.list(dir)) {
                            files = l.toList();
                        }
                        if (files.isEmpty()) {
                            continue;
                        }
                        Path f = files.get(rnd.nextInt(files.size()));
                        String name = root.relativize(f).toString();
                        byte[] got = Files.readAllBytes(f);
                        reads.incrementAndGet();
                        bytesRead.addAndGet(got.length);
                        List<byte[]> known = versions.getOrDefault(name, List.of());
                        if (known.stream().anyMatch(v -> Arrays.equals(v, got))) {
                            continue;
                        }
                        if (known.size() > 1 && known.stream().anyMatch(v -> v.length > got.length
                                && Arrays.equals(v, 0, got.length, got, 0, got.length))) {
                            cut.incrementAndGet();
                            continue;
                        }
                        wrong.add(name + ": " + got.length + " bytes of no version: " + explain(got, known));
                    } catch (NoSuchFileException e) {
                        gone.incrementAndGet();
                    } catch (IOException e) {
                        if (String.valueOf(e.getMessage()).contains("Stale file handle")) {
                            stale.incrementAndGet();
                        } else {
                            wrong.add(e.toString());
                        }
                    }
                }
                return null;
            }));
        }

        long end = System.nanoTime() + RUN.toNanos();
        int syncs = 0;
        while (System.nanoTime() < end && wrong.isEmpty()) {
            churn(c);
            int before = count(m.logText(), "sync finished");
            rewriteOneshot(m);
            awaitLogCount(m, "sync finished", before + 1);
            syncs++;
            Thread.sleep(1500 + random.nextInt(1500));
        }
        stop.set(true);
        for (Future<?> f : readers) {
            f.get();
        }
        pool.shutdown();
        System.out.printf("stress: %d syncs, %d reads (%d MiB) by %d readers; ENOENT %d, ESTALE %d, cut %d%n",
                syncs, reads.get(), bytesRead.get() >> 20, READERS, gone.get(), stale.get(), cut.get());
        assertEquals(List.of(), wrong, "wrong bytes or undocumented errors");
        assertTrue(syncs >= 5, "syncs ran meanwhile: " + syncs);
        assertTrue(reads.get() > 1000, "readers read: " + reads.get());
    }

    /** How {@code got} relates to the known versions: runs of bytes matching version i at the same offsets. */
    static String explain(byte[] got, List<byte[]> known) {
        StringBuilder b = new StringBuilder("versions of ");
        known.forEach(v -> b.append(v.length).append(' '));
        b.append("bytes; runs:");
        int at = 0;
        int runs = 0;
        while (at < got.length && runs < 8) {
            int best = -1;
            int bestEnd = at;
            for (int i = 0; i < known.size(); i++) {
                byte[] v = known.get(i);
                int e = at;
                while (e < got.length && e < v.length && v[e] == got[e]) {
                    e++;
                }
                if (e > bestEnd) {
                    bestEnd = e;
                    best = i;
                }
            }
            if (best < 0) {
                int zeros = at;
                while (zeros < got.length && got[zeros] == 0) {
                    zeros++;
                }
                b.append(" [").append(at).append(',').append(Math.max(zeros, at + 1)).append(")=")
                        .append(zeros > at ? "zeros" : "none");
                at = Math.max(zeros, at + 1);
            } else {
                b.append(" [").append(at).append(',').append(bestEnd).append(")=v").append(best);
                at = bestEnd;
            }
            runs++;
        }
        return b.toString();
    }

    private static int fds(long pid) throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return (int) s.count();
        }
    }

    /** Overwrites 12 small blobs, adds 4, deletes 4, and overwrites one large one. */
    private void churn(BlobContainerClient c) throws Exception {
        List<String> names = new ArrayList<>(versions.keySet());
        Map<String, byte[]> puts = new java.util.TreeMap<>();
        for (int i = 0; i < 12; i++) {
            String n = names.get(random.nextInt(names.size()));
            if (!n.startsWith("large/")) {
                puts.put(n, bytes(random.nextInt(96 * 1024)));
            }
        }
        for (int i = 0; i < 4; i++) {
            puts.put(String.format("d%d/n%06d.bin", random.nextInt(8), random.nextInt(1_000_000)),
                    bytes(random.nextInt(32 * 1024)));
        }
        puts.put("large/l" + random.nextInt(4) + ".bin", bytes(2 * 1024 * 1024 + random.nextInt(1 << 20)));
        put(c, puts);
        for (int i = 0; i < 4; i++) {
            String n = names.get(random.nextInt(names.size()));
            if (!n.startsWith("large/") && !puts.containsKey(n)) {
                c.getBlobClient(n).deleteIfExists();
            }
        }
    }

    private void put(BlobContainerClient c, Map<String, byte[]> puts) throws Exception {
        for (Map.Entry<String, byte[]> e : puts.entrySet()) {
            versions.computeIfAbsent(e.getKey(), k -> new CopyOnWriteArrayList<>()).add(e.getValue());
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (Map.Entry<String, byte[]> e : puts.entrySet()) {
                done.add(pool.submit(() -> c.getBlobClient(e.getKey()).upload(BinaryData.fromBytes(e.getValue()), true)));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
    }

    private static void rewriteOneshot(MirrorMount m) throws IOException {
        String yaml = Files.readString(m.config, StandardCharsets.UTF_8);
        Path t = m.config.resolveSibling("media.yaml.tmp");
        Files.writeString(t, yaml.replaceFirst("oneshot: .*", "oneshot: " + UUID.randomUUID()), StandardCharsets.UTF_8);
        Files.move(t, m.config, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    private static void awaitLogCount(MirrorMount m, String what, int n) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (count(m.logText(), what) < n) {
            assertTrue(System.nanoTime() < deadline, "the log never said \"" + what + "\" " + n + " times:\n"
                    + m.logText());
            Thread.sleep(50);
        }
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }
}
