package io.cloudmirror.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import io.cloudmirror.origin.Azurite;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The read path end to end, through the real launcher and the kernel: exact bytes on a cold read, the block
 * cache surviving a remount and serving with the cloud down, a hand-damaged block file refetched, uncached
 * reads failing with EIO quickly when the cloud is down, prefetch, and a cache disk that fills up.
 */
class ReadPathIT {

    @RegisterExtension
    static final Azurite AZURITE = new Azurite();

    private static final String CONTAINER = "reads";
    /** blob name -> sha256 of its content */
    private static final Map<String, String> EXPECTED = new TreeMap<>();

    @TempDir
    Path tmp;

    @BeforeAll
    static void upload() throws Exception {
        BlobContainerClient c = AZURITE.createContainer(CONTAINER);
        Random random = new Random(5);
        Map<String, byte[]> blobs = new TreeMap<>();
        for (int i = 0; i < 40; i++) {
            blobs.put("small/f" + i + ".json", bytes(random, 100 + random.nextInt(60_000)));
        }
        blobs.put("large/a.bin", bytes(random, 9 * 1024 * 1024 + 77));
        blobs.put("large/b.bin", bytes(random, 7 * 1024 * 1024));
        blobs.put("large/c.bin", bytes(random, 3 * 1024 * 1024 + 1));
        for (Map.Entry<String, byte[]> e : blobs.entrySet()) {
            c.getBlobClient(e.getKey()).upload(BinaryData.fromBytes(e.getValue()));
            EXPECTED.put(e.getKey(), MountIT.sha256(e.getValue()));
        }
    }

    private static byte[] bytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    @AfterEach
    void cloudBack() {
        AZURITE.start();
    }

    private MirrorMount mount(String cacheSpec, String... options) throws Exception {
        return mountAt(AZURITE.endpoint().toString(), cacheSpec, options);
    }

    private MirrorMount mountAt(String endpoint, String cacheSpec, String... options) throws Exception {
        MirrorMount m = new MirrorMount(tmp).writeConfig(endpoint, AZURITE.accountKey(), CONTAINER, "NoIndexTags",
                cacheSpec);
        Sh.Result r = m.mount(options);
        assertEquals(0, r.exit(), r + "\nlog:\n" + m.logText());
        m.awaitFiles(EXPECTED.size(), Duration.ofMinutes(2));
        return m;
    }

    /** sha256 of every file under the subvolume, by blob name. */
    private static Map<String, String> sums(MirrorMount m) throws Exception {
        Sh.Result sums = Sh.bash(m.mountpoint.resolve("mirrorSubDir"),
                "find . -type f -print0 | sort -z | xargs -0 sha256sum");
        assertEquals(0, sums.exit(), sums.toString());
        Map<String, String> actual = new TreeMap<>();
        for (String line : sums.out().split("\n")) {
            if (!line.isBlank()) {
                actual.put(line.substring(66).replaceFirst("^\\./", ""), line.substring(0, 64));
            }
        }
        return actual;
    }

    private static void remount(MirrorMount m, String... options) throws Exception {
        assertEquals(0, Sh.bash("umount '" + m.mountpoint + "'").exit());
        m.awaitGone(Duration.ofSeconds(30));
        Sh.Result r = m.mount(options);
        assertEquals(0, r.exit(), r + "\nlog:\n" + m.logText());
    }

    private static long blockFiles(MirrorMount m) throws Exception {
        try (Stream<Path> s = Files.walk(m.cache.resolve("blocks"))) {
            return s.filter(p -> p.getFileName().toString().matches("[0-9a-f]{32}-[0-9]+")).count();
        }
    }

    @Test
    void coldReadsAreExactAndARemountServesThemFromTheCacheWithTheCloudDown() throws Exception {
        try (MirrorMount m = mount("    prefetch: none\n")) {
            assertEquals(EXPECTED, sums(m), "cold: every byte read through the kernel equals the blob");
            assertEquals(40 + 10 + 7 + 4, blockFiles(m), "one block file per MiB (or smaller file)");
            AZURITE.stop();
            remount(m);
            assertEquals(EXPECTED, sums(m), "after a remount, with the cloud down, every byte comes from the cache");
            assertTrue(m.logText().contains("block cache " + m.cache.resolve("blocks") + ": 61 blocks"),
                    m.logText());
        }
    }

    @Test
    void aBlockFileDamagedByHandIsRefetchedNeverServed() throws Exception {
        try (MirrorMount m = mount("    prefetch: none\n")) {
            assertEquals(EXPECTED, sums(m));
            assertEquals(0, Sh.bash("umount '" + m.mountpoint + "'").exit());
            m.awaitGone(Duration.ofSeconds(30));
            Path victim;
            try (Stream<Path> s = Files.walk(m.cache.resolve("blocks"))) {
                victim = s.filter(Files::isRegularFile).filter(p -> p.getFileName().toString().contains("-"))
                        .max(Comparator.comparingLong(p -> p.toFile().length())).orElseThrow();
            }
            try (RandomAccessFile raf = new RandomAccessFile(victim.toFile(), "rw")) {
                long at = raf.length() / 2;
                raf.seek(at);
                int b = raf.read();
                raf.seek(at);
                raf.write(b ^ 0x10);
            }
            Sh.Result r = m.mount();
            assertEquals(0, r.exit(), r + "\nlog:\n" + m.logText());
            assertEquals(EXPECTED, sums(m), "the damaged block was detected and fetched again");
            assertTrue(m.logText().contains("is corrupt (checksum mismatch"), m.logText());
        }
    }

    @Test
    void aDaemonKilledMidFillLeavesACacheThatReopensConsistent() throws Exception {
        try (MirrorMount m = mount("    prefetch: none\n")) {
            Path root = m.mountpoint.resolve("mirrorSubDir");
            Process reader = new ProcessBuilder("cat", root.resolve("large/a.bin").toString())
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true).start();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (blockFiles(m) < 2 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertTrue(blockFiles(m) >= 2, "the read started filling the cache");
            assertEquals(0, Sh.bash("kill -9 " + m.daemonPid()).exit(), "SIGKILL in the middle of the fills");
            reader.waitFor();
            Sh.bash("fusermount -u -z '" + m.mountpoint + "'");
            m.awaitGone(Duration.ofSeconds(30));
            Sh.Result r = m.mount();
            assertEquals(0, r.exit(), r + "\nlog:\n" + m.logText());
            try (Stream<Path> tmpFiles = Files.list(m.cache.resolve("blocks").resolve("tmp"))) {
                assertEquals(0, tmpFiles.count(), "half-written blocks were cleared at start");
            }
            assertEquals(EXPECTED, sums(m), "every byte right after the crash: complete blocks served, the rest fetched");
        }
    }

    @Test
    void withTheCloudDownAnUncachedReadFailsWithEioQuicklyAndCachedOnesWork() throws Exception {
        try (MirrorMount m = mount("    prefetch: none\n", "read_timeout=5")) {
            Path root = m.mountpoint.resolve("mirrorSubDir");
            assertEquals(EXPECTED.get("large/c.bin"), Sh.bash(root, "sha256sum large/c.bin").out().substring(0, 64));
            AZURITE.stop();
            long t0 = System.nanoTime();
            Sh.Result r = Sh.bash(root, "cat large/a.bin > /dev/null");
            long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
            assertNotEquals(0, r.exit(), r.toString());
            assertTrue(r.err().contains("Input/output error"), r.toString());
            assertTrue(seconds < 30, "EIO took " + seconds + " s");
            Sh.Result cached = Sh.bash(root, "sha256sum large/c.bin");
            assertEquals(0, cached.exit(), cached.toString());
            assertEquals(EXPECTED.get("large/c.bin"), cached.out().substring(0, 64), "cached bytes stay readable");
            assertEquals(0, Sh.bash("ls '" + root + "/small' | wc -l").exit(), "the tree is still served");
        }
    }

    @Test
    void aCloudThatStopsAnsweringFailsUncachedReadsWithEioWithinTheReadTimeout() throws Exception {
        try (StallingProxy proxy = new StallingProxy(AZURITE.port());
             MirrorMount m = mountAt("http://127.0.0.1:" + proxy.port() + "/" + AZURITE.accountName() + "/",
                     "    prefetch: none\n", "read_timeout=3")) {
            Path root = m.mountpoint.resolve("mirrorSubDir");
            assertEquals(EXPECTED.get("large/c.bin"), Sh.bash(root, "sha256sum large/c.bin").out().substring(0, 64));
            proxy.stall();
            long t0 = System.nanoTime();
            Sh.Result r = Sh.bash(root, "cat large/a.bin > /dev/null");
            long millis = (System.nanoTime() - t0) / 1_000_000;
            assertNotEquals(0, r.exit(), r.toString());
            assertTrue(r.err().contains("Input/output error"), r.toString());
            assertTrue(millis >= 2_500 && millis < 20_000, "EIO after " + millis + " ms, read_timeout=3");
            assertTrue(m.logText().contains("no data within the read timeout of 3.0 s"), m.logText());
            Sh.Result cached = Sh.bash(root, "sha256sum large/c.bin");
            assertEquals(EXPECTED.get("large/c.bin"), cached.out().substring(0, 64),
                    "cached bytes are served while the cloud hangs");
        }
    }

    @Test
    void prefetchAllFillsTheCacheSoEverythingReadsWithTheCloudDown() throws Exception {
        try (MirrorMount m = mount("    prefetch: all\n")) {
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (!m.logText().contains("prefetch pass done") && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertTrue(m.logText().contains("prefetch pass done in"), m.logText());
            assertTrue(m.logText().contains(": 43 blobs (20 MiB) fetched, 0 skipped for space"), m.logText());
            AZURITE.stop();
            assertEquals(EXPECTED, sums(m), "every byte served from the prefetched cache");
        }
    }

    @Test
    void aFullCacheDiskFailsFillsCleanlyAndReadsAreServedUncached() throws Exception {
        Path cache = tmp.resolve("cache");
        Files.createDirectories(cache);
        Sh.Result tmpfs = Sh.bash("mount -t tmpfs -o size=12m cloudmirror-test-cache '" + cache + "'");
        assertEquals(0, tmpfs.exit(), "this test mounts a small tmpfs and needs root: " + tmpfs);
        try (MirrorMount m = mount("    maxSize: 1Gi\n    prefetch: none\n")) {
            assertEquals(EXPECTED, sums(m), "every byte right although the cache disk is full");
            assertEquals(EXPECTED, sums(m), "and again");
            assertTrue(m.logText().contains("No space left on device"), m.logText());
            Sh.Result df = Sh.bash("df --output=avail -B1 '" + cache + "' | tail -n 1");
            assertTrue(Long.parseLong(df.out().strip()) < 1024 * 1024, "the tmpfs did fill up: " + df);
        } finally {
            Sh.bash("umount '" + cache + "' || umount -l '" + cache + "'");
        }
    }
}
