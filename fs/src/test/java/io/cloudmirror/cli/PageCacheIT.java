package io.cloudmirror.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import io.cloudmirror.blocks.ReadSettings;
import io.cloudmirror.config.ConfigLoader;
import io.cloudmirror.config.SubvolumeConfig;
import io.cloudmirror.fs.MirrorFileSystem;
import io.cloudmirror.fs.Ownership;
import io.cloudmirror.fuse.FuseAdapter;
import io.cloudmirror.origin.Azurite;
import io.cloudmirror.sync.SyncListener;
import io.cloudmirror.sync.SyncTimer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel's page cache and version pinning, through a real FUSE mount served in this JVM so that the
 * test decides when syncs happen: an unchanged file keeps its pages between opens, a changed one does not,
 * and a file held open across a change reads its own version's bytes or fails with ESTALE, never the new
 * version's bytes, while new opens read the new version.
 */
class PageCacheIT {

    @RegisterExtension
    static final Azurite AZURITE = new Azurite();

    private static final int MIB = 1024 * 1024;
    private static final int ESTALE = 116;

    @TempDir
    Path tmp;

    private BlobContainerClient container;
    private SubvolumeRuntime runtime;
    private MirrorFileSystem fs;
    private FuseAdapter adapter;
    private Path mnt;

    @BeforeEach
    void mount() throws Exception {
        if (!Files.exists(Path.of("/dev/fuse"))) {
            fail("/dev/fuse is missing: FUSE tests need it (CI provides it)");
        }
        String name = "pin" + Long.toHexString(System.nanoTime());
        container = AZURITE.createContainer(name);
        Files.writeString(tmp.resolve("account.key"), AZURITE.accountKey());
        Files.writeString(tmp.resolve("m.yaml"), """
                apiVersion: arccontainerstorage.azure.net/v1
                kind: MirrorSubvolume
                metadata:
                  name: media
                spec:
                  path: sub
                  authentication:
                    authType: ACCOUNT_KEY
                    secretFile: account.key
                  blobAccount:
                    accountEndpoint: "%s"
                    containerName: %s
                  schedule:
                    frequency: never
                  cache:
                    directory: %s
                    prefetch: none
                """.formatted(AZURITE.endpoint(), name, tmp.resolve("cache")));
        SubvolumeConfig config = ConfigLoader.forThisProcess().load(tmp.resolve("m.yaml")).subvolumes().get(0);
        // As the daemon does: a publish that changes the tree drops what the kernel cached under it.
        KernelInvalidation invalidation = new KernelInvalidation(Map.of(config.name(), config.path()));
        runtime = SubvolumeRuntime.open(config, Clock.systemUTC(),
                SyncTimer.of(Clock.systemUTC(), Executors.newSingleThreadScheduledExecutor()),
                SyncListener.all(List.of(invalidation)), new io.cloudmirror.metrics.Metrics(), ReadSettings.defaults());
        fs = new MirrorFileSystem(List.of(runtime.subvolume()), new Ownership(0, 0, 0), Instant.now());
        adapter = new FuseAdapter(fs);
        invalidation.attach(adapter);
        mnt = Files.createDirectories(tmp.resolve("mnt"));
        List<String> args = MountOptions.parse(mountOptions(), 0, 0).fuseArguments("kernel-cache-it");
        adapter.mount(mnt, false, false, args.toArray(String[]::new));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (Mounts.at(mnt).filter(e -> e.fstype().equals("fuse.cloudmirror")).isEmpty()) {
            assertTrue(System.nanoTime() < deadline, "the in-process mount did not come up");
            Thread.sleep(20);
        }
    }

    /** The {@code -o} options of the mount: none, so the kernel opens files itself. */
    List<String> mountOptions() {
        return List.of();
    }

    @AfterEach
    void unmount() {
        if (adapter != null) {
            adapter.umount();
        }
        if (fs != null) {
            fs.close();
        }
        if (runtime != null) {
            runtime.close();
        }
    }

    private byte[] put(String blob, int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        container.getBlobClient(blob).upload(BinaryData.fromBytes(b), true);
        return b;
    }

    private void sync() throws Exception {
        runtime.syncer().syncNow();
    }

    private static String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    private String shaThroughKernel(String file) throws Exception {
        Process p = new ProcessBuilder("sha256sum", mnt.resolve("sub").resolve(file).toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out.substring(0, 64);
    }

    @Test
    void invalidationsRacingAnUnmountNeitherCrashNorFail() throws Exception {
        put("doc.bin", 4096, 3);
        sync();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong refused = new java.util.concurrent.atomic.AtomicLong();
        Thread notifier = new Thread(() -> {
            while (!stop.get()) {
                if (!adapter.invalidate("sub")) {
                    refused.incrementAndGet();
                }
                sent.incrementAndGet();
            }
        });
        notifier.start();
        Thread.sleep(300);
        long before = sent.get();
        adapter.umount(); // libfuse frees its channel while notifications keep coming (it used to crash the JVM)
        Thread.sleep(300);
        stop.set(true);
        notifier.join(10_000);
        assertTrue(before > 0 && sent.get() > before, "notifications before and after the unmount: " + sent.get());
        assertEquals(0, refused.get(), "none refused: taken by the kernel, or nothing to do once unmounted");
        adapter = null;
    }

    @Test
    void anUnchangedFileIsServedFromThePageCacheAndAChangedOneIsReadAfresh() throws Exception {
        byte[] v1 = put("doc.bin", 3 * MIB, 1);
        sync();
        assertEquals(sha(v1), shaThroughKernel("doc.bin"));
        // Reopened unchanged, every byte comes from the page cache. This machine's memory manager (DAMON
        // pageout) may evict a few fresh pages at any moment, so a pass that still needed a read is tried
        // again: without keep_cache every reopen drops the pages and no pass could be free of reads.
        long reads = -1;
        long extra = -1;
        for (int pass = 0; pass < 3 && extra != 0; pass++) {
            reads = runtime.readCounters().reads();
            assertEquals(sha(v1), shaThroughKernel("doc.bin"));
            assertEquals(sha(v1), shaThroughKernel("doc.bin"));
            extra = runtime.readCounters().reads() - reads;
        }
        assertEquals(0, extra, "reopened unchanged: every byte from the page cache");
        reads = runtime.readCounters().reads();

        byte[] v2 = put("doc.bin", 3 * MIB, 2); // same size: only the pages tell the versions apart
        sync();
        assertEquals(sha(v2), shaThroughKernel("doc.bin"), "the changed file's stale pages were dropped");
        assertTrue(runtime.readCounters().reads() > reads, "and it was read through cloudmirror");
    }

    /**
     * A Python reader that opens a file, reads some bytes, says "ready", waits for a line, then reads from
     * an offset to the end and prints how many bytes it got, their sha256, and the errno that stopped it
     * (0 for the end of the file).
     */
    private static final String READER = String.join("\n",
            "import hashlib, os, sys",
            "fd = os.open(sys.argv[1], os.O_RDONLY)",
            "os.read(fd, int(sys.argv[2]))",
            "print('ready', flush=True)",
            "sys.stdin.readline()",
            "off, h, err = int(sys.argv[3]), hashlib.sha256(), 0",
            "start = off",
            "while True:",
            "    try:",
            "        b = os.pread(fd, 131072, off)",
            "    except OSError as e:",
            "        err = e.errno",
            "        break",
            "    if not b:",
            "        break",
            "    h.update(b)",
            "    off += len(b)",
            "print(off - start, h.hexdigest(), err, flush=True)");

    /** What the held-open reader got after the change. */
    private record Held(long bytes, String sha, int errno) {
    }

    /** Runs {@link #READER} on {@code file}; {@code change} runs while it holds the file open. */
    private Held readAcrossAChange(String file, int first, long from, Change change) throws Exception {
        Process p = new ProcessBuilder("python3", "-c", READER, mnt.resolve("sub").resolve(file).toString(),
                Integer.toString(first), Long.toString(from)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
             Writer in = new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8)) {
            assertEquals("ready", out.readLine());
            change.run();
            in.write("go\n");
            in.flush();
            String[] result = out.readLine().split(" ");
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            return new Held(Long.parseLong(result[0]), result[1], Integer.parseInt(result[2]));
        } finally {
            p.destroyForcibly();
        }
    }

    /** What happens in the cloud and the mount while a file is held open. */
    @FunctionalInterface
    private interface Change {
        void run() throws Exception;
    }

    @Test
    void aFileHeldOpenAcrossAChangeReadsItsOwnVersionOrEstaleNeverTheNewBytes() throws Exception {
        byte[] v1 = put("model.bin", 8 * MIB, 3);
        sync();
        Held held = readAcrossAChange("model.bin", MIB, MIB, () -> {
            byte[] v2 = put("model.bin", 8 * MIB, 4);
            sync();
            assertEquals(sha(v2), shaThroughKernel("model.bin"), "a new open reads the new version");
        });
        assertEquals(sha(Arrays.copyOfRange(v1, MIB, MIB + (int) held.bytes)), held.sha,
                "the held-open file read " + held.bytes + " bytes of its own version, and nothing else");
        assertEquals(ESTALE, held.errno, "most of version one was never cached, and it is gone from the cloud: "
                + held);
    }

    @Test
    void aFileHeldOpenWhoseVersionIsCachedReadsAllOfItAfterAChange() throws Exception {
        byte[] v1 = put("cached.bin", 5 * MIB + 3, 5);
        sync();
        assertEquals(sha(v1), shaThroughKernel("cached.bin"), "read once: every block cached");
        Held held = readAcrossAChange("cached.bin", 100, 0, () -> {
            byte[] v2 = put("cached.bin", 5 * MIB + 3, 6);
            sync();
            assertEquals(sha(v2), shaThroughKernel("cached.bin"));
        });
        assertEquals(new Held(v1.length, sha(v1), 0), held, "all of version one, from the cache");
    }

    @Test
    void theOldVersionsBlocksLeaveTheCacheAfterTheChange() throws Exception {
        byte[] v1 = put("x.bin", 2 * MIB, 7);
        sync();
        assertEquals(sha(v1), shaThroughKernel("x.bin"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (runtime.cacheStats().blocks() < 2) {
            assertTrue(System.nanoTime() < deadline, "blocks not cached: " + runtime.cacheStats());
            Thread.sleep(20);
        }
        put("x.bin", 2 * MIB, 8);
        sync();
        while (runtime.cacheStats().blocks() > 0) {
            assertTrue(System.nanoTime() < deadline, "old blocks not dropped: " + runtime.prefetchProgress() + ", "
                    + runtime.cacheStats());
            Thread.sleep(20);
        }
        assertEquals(0, runtime.cacheStats().blocks(), "version one's blocks left with it");
    }
}
