package io.cloudmirror.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import io.cloudmirror.control.ControlProtocol.SubvolumeState;
import io.cloudmirror.origin.Azurite;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cache directory on a small tmpfs that the prefetch fills (the configured maxSize is far larger than the
 * disk): the daemon keeps serving every byte right, from the cloud when the disk refuses a block; a sync that
 * cannot write its index on the full disk fails, says so in status, and leaves the published tree serving;
 * once space is back, a sync succeeds and every byte is still right (nothing in the cache was corrupted).
 */
class DiskFullIT {

    @RegisterExtension
    static final Azurite AZURITE = new Azurite();

    @TempDir
    Path tmp;

    private Path tmpfs;

    @AfterEach
    void unmountTmpfs() throws Exception {
        if (tmpfs != null) {
            Sh.bash("umount -l '" + tmpfs + "'");
        }
    }

    @Test
    void aFullCacheDiskFailsOnlyCachingAndSyncsAndNeverAByte() throws Exception {
        BlobContainerClient c = AZURITE.createContainer("diskfull");
        Random random = new Random(5);
        Map<String, byte[]> cloud = new TreeMap<>();
        for (int i = 0; i < 24; i++) {
            byte[] b = new byte[700_000 + random.nextInt(600_000)];
            random.nextBytes(b);
            cloud.put("big/b" + i + ".bin", b);
        }
        for (Map.Entry<String, byte[]> e : cloud.entrySet()) {
            c.getBlobClient(e.getKey()).upload(BinaryData.fromBytes(e.getValue()), true);
        }

        Cli cli = new Cli(tmp);
        try (MirrorMount m = new MirrorMount(tmp)) {
            tmpfs = Files.createDirectories(m.cache);
            Sh.Result t = Sh.bash("mount -t tmpfs -o size=8m cloudmirror-test-cache '" + tmpfs + "'");
            assertEquals(0, t.exit(), "tests run as root and mount a small tmpfs: " + t);
            m.writeConfig(AZURITE.endpoint().toString(), AZURITE.accountKey(), "diskfull", "NoIndexTags",
                    "    maxSize: 1Gi\n");
            Sh.Result r = m.mount(cli.env());
            assertEquals(0, r.exit(), r + "\nlog:\n" + m.logText());
            cli.await(s -> s.generation() >= 1, Duration.ofMinutes(2), m);
            waitForLog(m, "prefetch pass done");
            // Filled: the disk refused a block (the cache's limit is far away), and less than one block file
            // (1 MiB of data after a 4 KiB header) is left; how little depends on which block it refused first.
            assertTrue(m.logText().contains("cannot store a block"), "a block was refused:\n" + m.logText());
            long freeKiB = Long.parseLong(Sh.bash("df -P '" + tmpfs + "' | tail -n 1 | awk '{print $4}'").out().trim());
            assertTrue(freeKiB < 1028, "the prefetch filled the disk: " + Sh.bash("df -P '" + tmpfs + "'").out());
            verify(m, cloud);

            // Another writer takes what the prefetch left free (it keeps to the space it sees). A sync of a
            // changed container then cannot write its index: it fails, says where and why, the tree stays. (Only
            // an addition: an overwritten blob of the old tree that the full disk kept out of the cache would
            // rightly read ESTALE.)
            Sh.bash("dd if=/dev/zero of='" + tmpfs.resolve("filler") + "' bs=16k 2>/dev/null; sync");
            byte[] added = new byte[5000];
            random.nextBytes(added);
            c.getBlobClient("new.bin").upload(BinaryData.fromBytes(added), true);
            rewrite(m, "oneshot: " + UUID.randomUUID());
            SubvolumeState failed = cli.await(s -> s.lastError() != null && !s.lastError().isEmpty(),
                    Duration.ofMinutes(1), m);
            assertEquals(1, failed.generation(), "the published generation stays");
            assertTrue(failed.lastError().startsWith("writing the index in " + m.cache.resolve("index"))
                    && failed.lastError().endsWith("No space left on device"), "status says where and why: "
                    + failed.lastError());
            verify(m, cloud);
            System.out.println("failed sync: " + failed.lastError());
            m.logText().lines().filter(l -> l.contains("No space left")).limit(3).forEach(System.out::println);

            // Space back: a sync succeeds, the new tree is exact, and no byte cached before was damaged.
            Files.delete(tmpfs.resolve("filler"));
            assertEquals(0, Sh.bash("mount -o remount,size=64m '" + tmpfs + "'").exit());
            rewrite(m, "oneshot: " + UUID.randomUUID());
            SubvolumeState ok = cli.await(s -> s.generation() >= 2 && (s.lastError() == null || s.lastError().isEmpty()),
                    Duration.ofMinutes(1), m);
            assertEquals(cloud.size() + 1, ok.blobs());
            cloud.put("new.bin", added);
            verify(m, cloud);
        }
    }

    private static void verify(MirrorMount m, Map<String, byte[]> cloud) throws Exception {
        Path root = m.mountpoint.resolve("mirrorSubDir");
        Map<String, String> seen = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (Files.isRegularFile(p)) {
                    seen.put(root.relativize(p).toString(), sha(Files.readAllBytes(p)));
                }
            }
        }
        Map<String, String> want = new TreeMap<>();
        for (Map.Entry<String, byte[]> e : cloud.entrySet()) {
            want.put(e.getKey(), sha(e.getValue()));
        }
        assertEquals(want, seen, "every byte through the kernel");
    }

    private static void waitForLog(MirrorMount m, String text) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (!m.logText().contains(text)) {
            assertTrue(System.nanoTime() < deadline, "the log never said " + text + ":\n" + m.logText());
            Thread.sleep(50);
        }
    }

    private static void rewrite(MirrorMount m, String oneshot) throws Exception {
        String yaml = Files.readString(m.config, StandardCharsets.UTF_8);
        Path t = m.config.resolveSibling("media.yaml.tmp");
        Files.writeString(t, yaml.replaceFirst("oneshot: .*", oneshot), StandardCharsets.UTF_8);
        Files.move(t, m.config, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
