package io.cloudmirror.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.options.BlobParallelUploadOptions;
import io.cloudmirror.origin.Azurite;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The foundation, end to end: a container of a few thousand blobs in nested prefixes, with index tags,
 * mounted through the real launcher and the kernel, read back with ordinary tools.
 */
class MountIT {

    @RegisterExtension
    static final Azurite AZURITE = new Azurite();

    private static final String CONTAINER = "media";
    private static final int DIRS = 10;
    private static final int SUBDIRS = 10;
    private static final int FILES_PER_DIR = 30;
    /** blob name -> sha256 of its content */
    private static final Map<String, String> EXPECTED = new TreeMap<>();
    private static int expectedFiles;

    @TempDir
    Path tmp;

    @BeforeAll
    static void upload() throws Exception {
        BlobContainerClient c = AZURITE.createContainer(CONTAINER);
        Random random = new Random(42);
        List<Object[]> blobs = new ArrayList<>();
        for (int d = 0; d < DIRS; d++) {
            for (int s = 0; s < SUBDIRS; s++) {
                for (int f = 0; f < FILES_PER_DIR; f++) {
                    byte[] b = new byte[random.nextInt(20_000)];
                    random.nextBytes(b);
                    blobs.add(new Object[] {"data/d" + d + "/s" + s + "/f" + f + ".bin", b});
                }
            }
        }
        byte[] large = new byte[5 * 1024 * 1024 + 123];
        random.nextBytes(large);
        blobs.add(new Object[] {"large/model.bin", large});
        blobs.add(new Object[] {"empty.txt", new byte[0]});
        blobs.add(new Object[] {"with space & #hash%.txt", "odd name".getBytes()});
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> done = new ArrayList<>();
        for (Object[] blob : blobs) {
            String name = (String) blob[0];
            byte[] content = (byte[]) blob[1];
            Map<String, String> tags = name.startsWith("data/d0/") || name.startsWith("large/")
                    ? Map.of("tier", "hot", "owner", "ml-team") : Map.of();
            EXPECTED.put(name, sha256(content));
            done.add(pool.submit(() -> c.getBlobClient(name).uploadWithResponse(
                    new BlobParallelUploadOptions(BinaryData.fromBytes(content)).setTags(tags), null, Context.NONE)));
        }
        for (Future<?> f : done) {
            f.get();
        }
        pool.shutdown();
        expectedFiles = blobs.size();
    }

    private MirrorMount mountMedia(String tagsMode) throws Exception {
        MirrorMount m = new MirrorMount(tmp).writeConfig(AZURITE.endpoint().toString(), AZURITE.accountKey(),
                CONTAINER, tagsMode, "");
        Sh.Result r = m.mount();
        assertEquals(0, r.exit(), r + "\nlog:\n" + m.logText());
        assertTrue(m.mounted(), "mount returned 0 but the mount is not live");
        m.awaitFiles(expectedFiles, Duration.ofMinutes(2));
        return m;
    }

    @Test
    void mountsAndReadsBackEveryByteThroughTheKernel() throws Exception {
        try (MirrorMount m = mountMedia("MirrorIndexTags")) {
            Path root = m.mountpoint.resolve("mirrorSubDir");
            Sh.Result ls = Sh.bash("ls -lR '" + m.mountpoint + "'");
            assertEquals(0, ls.exit(), ls.toString());
            long files = ls.out().lines().filter(l -> l.matches("-r--r--r-- +1 .*")).count();
            long dirs = ls.out().lines().filter(l -> l.startsWith("dr-xr-xr-x ")).count();
            assertEquals(expectedFiles, files, "every blob is a 0444 file in ls -lR");
            assertEquals(1 + 1 + DIRS + DIRS * SUBDIRS + 1, dirs, "mirrorSubDir, data, d*, s*, large are 0555 dirs");

            Sh.Result sums = Sh.bash(root, "find . -type f -print0 | sort -z | xargs -0 sha256sum");
            assertEquals(0, sums.exit(), sums.toString());
            Map<String, String> actual = new TreeMap<>();
            for (String line : sums.out().split("\n")) {
                if (!line.isBlank()) {
                    actual.put(line.substring(66).replaceFirst("^\\./", ""), line.substring(0, 64));
                }
            }
            assertEquals(EXPECTED, actual, "every byte read through the kernel equals the blob");

            Sh.Result cat = Sh.bash(root, "cat 'with space & #hash%.txt'");
            assertEquals("odd name", cat.out());

            Sh.Result tag = Sh.bash(root, "getfattr --only-values -n azindex.tier data/d0/s3/f7.bin");
            assertEquals("hot", tag.out(), tag.toString());
            Sh.Result dump = Sh.bash(root, "getfattr -d large/model.bin");
            assertTrue(dump.out().contains("user.azindex.owner=\"ml-team\""), dump.toString());
            assertTrue(dump.out().contains("user.azindex.tier=\"hot\""), dump.toString());
            Sh.Result none = Sh.bash(root, "getfattr -n azindex.tier data/d1/s0/f0.bin");
            assertNotEquals(0, none.exit());
            assertTrue(none.err().contains("No such attribute"), none.toString());
            Sh.Result selinux = Sh.bash(root, "getfattr -n security.selinux data/d1/s0/f0.bin");
            assertTrue(selinux.err().contains("Operation not supported"), selinux.toString());

            Sh.Result st = Sh.bash(root, "stat -c '%a %s %h' large/model.bin && stat -c '%a %h' data");
            assertEquals((5 * 1024 * 1024 + 123) + "", st.out().lines().findFirst().orElseThrow().split(" ")[1]);
            assertEquals("444 " + (5 * 1024 * 1024 + 123) + " 1\n555 " + (2 + DIRS) + "\n", st.out());

            Sh.Result df = Sh.bash("df -P '" + m.mountpoint + "' | tail -n 1");
            assertTrue(df.out().startsWith("devstoreaccount1/media "), df.toString());
            Sh.Result proc = Sh.bash("grep ' " + m.mountpoint + " ' /proc/mounts");
            assertTrue(proc.out().contains(" fuse.cloudmirror ro,"), proc.toString());
        }
    }

    @Test
    void everyKindOfWriteFailsReadOnly() throws Exception {
        try (MirrorMount m = mountMedia("MirrorIndexTags")) {
            Path root = m.mountpoint.resolve("mirrorSubDir");
            String f = "data/d0/s0/f0.bin";
            String[] writes = {
                "touch new-file", "touch " + f, "rm " + f, "rm -r data/d1", "mkdir newdir", "rmdir large",
                "mv " + f + " moved.bin", "cp " + f + " copy.bin", "ln -s " + f + " link", "ln " + f + " hard",
                "chmod 644 " + f, "chown 1:1 " + f, "truncate -s 0 " + f, "setfattr -n user.x -v 1 " + f,
                "setfattr -x user.azindex.tier " + f, "echo hi > " + f, "echo hi >> " + f, "echo hi > brand-new",
                "dd if=/dev/zero of=" + f + " bs=1 count=1 conv=notrunc", "python3 -c \"open('" + f + "','r+b')\""};
            for (String w : writes) {
                Sh.Result r = Sh.bash(root, w);
                assertNotEquals(0, r.exit(), w + " succeeded: " + r);
                assertTrue(r.err().contains("Read-only file system"), w + ": " + r);
            }
            assertEquals(EXPECTED.get(f), Sh.bash(root, "sha256sum " + f).out().substring(0, 64), "data unchanged");
        }
    }

    @Test
    void noIndexTagsShowsNoTagXattrs() throws Exception {
        try (MirrorMount m = mountMedia("NoIndexTags")) {
            Sh.Result r = Sh.bash(m.mountpoint.resolve("mirrorSubDir"), "getfattr -d -m - large/model.bin");
            assertEquals("", r.out().strip(), r.toString());
        }
    }

    @Test
    void umountAndFusermountStopTheDaemonAndSigtermUnmountsCleanly() throws Exception {
        try (MirrorMount m = mountMedia("NoIndexTags")) {
            long pid = m.daemonPid();
            assertTrue(pid > 0, "daemon pid");
            assertEquals(0, Sh.bash("umount '" + m.mountpoint + "'").exit());
            m.awaitGone(Duration.ofSeconds(30));

            assertEquals(0, m.mount().exit(), m.logText());
            assertEquals(0, Sh.bash("fusermount -u '" + m.mountpoint + "'").exit());
            m.awaitGone(Duration.ofSeconds(30));

            assertEquals(0, m.mount().exit(), m.logText());
            assertEquals(0, Sh.bash("kill -TERM " + m.daemonPid()).exit());
            m.awaitGone(Duration.ofSeconds(30));
            assertTrue(m.logText().contains("unmounted " + m.mountpoint), m.logText());

            // A restart serves the published tree at once, without a new sync (oneshot already honoured).
            assertEquals(0, m.mount().exit(), m.logText());
            Sh.Result count = Sh.bash("find '" + m.mountpoint + "' -type f | wc -l");
            assertEquals(Integer.toString(expectedFiles), count.out().strip());
            assertEquals(0, Sh.bash("kill -INT " + m.daemonPid()).exit());
            m.awaitGone(Duration.ofSeconds(30));
        }
    }

    @Test
    void badConfigIsRefusedWithExitCode2AndNothingIsMounted() throws Exception {
        try (MirrorMount m = new MirrorMount(tmp)) {
            Files.writeString(m.config, """
                    apiVersion: arccontainerstorage.azure.net/v1
                    kind: MirrorSubvolume
                    metadata:
                      name: media
                    spec:
                      path: /mirrorSubDir
                      authentication:
                        authType: MANAGED_IDENTITY
                      blobAccount:
                        accountEndpoint: "https://acct.blob.core.windows.net/"
                        containerName: media
                        indexTagsMode: SomeTags
                      schedule:
                        frequency: "every hour"
                    """);
            Sh.Result r = m.mount();
            assertEquals(2, r.exit(), r.toString());
            assertTrue(r.err().contains("media.yaml:6: spec.path: must not start with '/'"), r.err());
            assertTrue(r.err().contains("media.yaml:12: spec.blobAccount.indexTagsMode: expected one of "
                    + "MirrorIndexTags, NoIndexTags, got \"SomeTags\""), r.err());
            assertTrue(r.err().contains("spec.schedule.frequency"), r.err());
            assertFalse(m.mounted());
        }
    }

    @Test
    void wrongKeyMountsButServesNothingAndSaysWhy() throws Exception {
        try (MirrorMount m = new MirrorMount(tmp)) {
            m.writeConfig(AZURITE.endpoint().toString(), "d3JvbmcgYnV0IHdlbGwgZm9ybWVkIGtleSB3cm9uZyBrZXkgd3Jvbmcga2V5IQ==",
                    CONTAINER, "NoIndexTags", "");
            Sh.Result r = m.mount();
            assertEquals(0, r.exit(), r + m.logText());
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!m.logText().contains("sync failed") && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            String log = m.logText();
            assertTrue(log.contains("HTTP 403"), log);
            assertFalse(log.contains("d3JvbmcgYnV0IHdlbGwgZm9ybWVk"), "the key must never be logged");
            assertEquals("", Sh.bash("ls -A '" + m.mountpoint + "/mirrorSubDir'").out());
        }
    }

    @Test
    void missingMountpointIsRefused() throws Exception {
        try (MirrorMount m = new MirrorMount(tmp)) {
            m.writeConfig(AZURITE.endpoint().toString(), AZURITE.accountKey(), CONTAINER, "NoIndexTags", "");
            Sh.Result r = Sh.run(List.of(MirrorMount.LAUNCHER.toString(), "mount", m.config.toString(),
                    tmp.resolve("does-not-exist").toString()), Map.of(), tmp, Duration.ofMinutes(1));
            assertEquals(2, r.exit(), r.toString());
            assertTrue(r.err().contains("is not a directory"), r.err());
        }
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
