package io.cloudmirror.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.options.BlobParallelUploadOptions;
import io.cloudmirror.origin.Azurite;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cloudmirror clone} end to end: a mount of an Azurite container, cloned through the real launcher into
 * a plain directory; compared with the mount byte for byte, time for time and tag for tag; an interrupted clone
 * (SIGKILL) resumed; and the refusals.
 */
class CloneIT {

    @RegisterExtension
    static final Azurite AZURITE = new Azurite();

    private static final String CONTAINER = "media";
    private static final int FILES = 60;

    @TempDir
    Path tmp;

    @BeforeAll
    static void upload() {
        BlobContainerClient c = AZURITE.createContainer(CONTAINER);
        Random random = new Random(11);
        byte[] big = new byte[96 * 1024 * 1024 + 5];
        random.nextBytes(big);
        c.getBlobClient("aaa/big.bin").upload(BinaryData.fromBytes(big));
        for (int i = 0; i < FILES - 2; i++) {
            byte[] b = new byte[random.nextInt(50_000)];
            random.nextBytes(b);
            Map<String, String> tags = i % 3 == 0 ? Map.of("tier", "hot", "n", Integer.toString(i)) : Map.of();
            c.getBlobClient("d" + (i % 4) + "/f " + i + ".bin").uploadWithResponse(
                    new BlobParallelUploadOptions(BinaryData.fromBytes(b)).setTags(tags), null, Context.NONE);
        }
        c.getBlobClient("empty").upload(BinaryData.fromBytes(new byte[0]));
    }

    private Map<String, String> env;

    private MirrorMount mount() throws Exception {
        env = Map.of("CLOUDMIRROR_RUNTIME_DIR", Files.createDirectories(tmp.resolve("run")).toString());
        MirrorMount m = new MirrorMount(Files.createDirectories(tmp.resolve("m"))).writeConfig(
                AZURITE.endpoint().toString(), AZURITE.accountKey(), CONTAINER, "MirrorIndexTags", "");
        Sh.Result r = m.mount(env);
        assertEquals(0, r.exit(), r + "\nlog:\n" + m.logText());
        m.awaitFiles(FILES, Duration.ofMinutes(2));
        return m;
    }

    private Sh.Result clone(String... args) throws Exception {
        return clone(Map.of(), args);
    }

    private Sh.Result clone(Map<String, String> extraEnv, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(MirrorMount.LAUNCHER.toString(), "clone"));
        cmd.addAll(List.of(args));
        Map<String, String> all = new HashMap<>(env);
        all.putAll(extraEnv);
        return Sh.run(cmd, all, tmp, Duration.ofMinutes(3));
    }

    /** path, size, mtime, sha256 and user xattrs of every file and directory under {@code root}. */
    private static String listing(Path root) throws Exception {
        Sh.Result r = Sh.bash(root, "find . -mindepth 1 -printf '%y %P %s %T@\\n' | sed 's/^d \\(.*\\) [0-9]* /d \\1 /' "
                + "| sort && find . -type f -print0 | sort -z | xargs -0 sha256sum "
                + "&& getfattr -R -d -m '^user\\.' --absolute-names . 2>/dev/null | grep -v '^$' | sort");
        assertEquals(0, r.exit(), r.toString());
        return r.out();
    }

    @Test
    void cloneIsAnExactWritableCopyAndResumesAfterAKill() throws Exception {
        try (MirrorMount m = mount()) {
            Path tree = m.mountpoint.resolve("mirrorSubDir");
            String expected = listing(tree);
            assertTrue(expected.contains("user.azindex.tier=\"hot\""), expected);

            Path copy = tmp.resolve("copy");
            Sh.Result r = clone("media", copy.toString());
            assertEquals(0, r.exit(), r + "\nlog:\n" + m.logText());
            assertTrue(r.out().startsWith("media: generation 1 cloned into " + copy + ": " + FILES + " files"), r.out());
            assertTrue(r.out().contains(" from the block cache, ") && r.out().contains(" from the origin"),
                    "root reads the daemon's configuration: the clone reads without the mount: " + r.out());
            assertEquals(expected, listing(copy), "same tree, sizes, mtimes, bytes and tags");
            assertTrue(Files.isWritable(copy.resolve("aaa/big.bin")));
            Files.writeString(copy.resolve("d0/new.txt"), "a writable copy");

            // a clone killed mid-file leaves a journal and .part files; running it again completes it
            Path resumed = tmp.resolve("resumed");
            ProcessBuilder pb = new ProcessBuilder(MirrorMount.LAUNCHER.toString(), "clone", "--parallel", "1",
                    m.mountpoint.toString(), resumed.toString());
            pb.environment().putAll(env);
            Process p = pb.redirectErrorStream(true).redirectOutput(tmp.resolve("killed.log").toFile()).start();
            Path part = resumed.resolve("aaa/big.bin.part");
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
            while (!(Files.exists(part) && Files.size(part) > 0) && System.nanoTime() < deadline && p.isAlive()) {
                Thread.sleep(10);
            }
            assertTrue(p.isAlive(), "the clone was still copying big.bin: " + Files.readString(tmp.resolve("killed.log")));
            p.destroyForcibly().waitFor();
            assertTrue(Files.exists(resumed.resolve(".cloudmirror-clone.journal")));
            assertFalse(Files.exists(resumed.resolve("aaa/big.bin")), "an unfinished file never has its final name");
            Path classes = tmp.resolve("classes.log");
            Sh.Result again = clone(Map.of("CLOUDMIRROR_JAVA_OPTS", "-Xlog:class+load:file=" + classes),
                    m.mountpoint.resolve("mirrorSubDir").toString(), resumed.toString());
            assertEquals(0, again.exit(), again.toString());
            assertEquals(expected, listing(resumed), "the resumed clone is exact");
            // the first clone left a class-data archive of what it loaded; this one maps it
            assertTrue(Files.readString(classes).contains("io.cloudmirror.clone.Cloner source: shared objects file"),
                    "the clone's classes come from the launcher's class-data archive");
        }
    }

    @Test
    void readsTheBlockCacheAndTheOriginDirectlyOrElseThroughTheMount() throws Exception {
        try (MirrorMount m = mount()) {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            while (!m.logText().contains("prefetch pass done") && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertTrue(m.logText().contains("prefetch pass done"), m.logText());
            String expected = listing(m.mountpoint.resolve("mirrorSubDir"));

            // everything is prefetched: the clone reads only the daemon's block files
            Sh.Result cached = clone("media", tmp.resolve("cached").toString());
            assertEquals(0, cached.exit(), cached.toString());
            assertTrue(cached.out().contains(" from the block cache, 0 from the origin"), cached.out());
            assertEquals(expected, listing(tmp.resolve("cached")));

            // a block file that fails its checks is read from the origin instead (exactly that 1 MiB block)
            Sh.Result block = Sh.bash(m.cache, "find blocks -type f -size 1028k | head -n 1");
            Path corrupt = m.cache.resolve(block.out().strip());
            assertTrue(Files.isRegularFile(corrupt), block.toString());
            try (FileChannel ch = FileChannel.open(corrupt, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
                ByteBuffer one = ByteBuffer.allocate(1);
                ch.read(one, 10_000);
                ch.write(ByteBuffer.wrap(new byte[] {(byte) ~one.get(0)}), 10_000);
            }
            // (64 reads at once: their buffers stay within the launcher's direct memory)
            Sh.Result healed = clone("--parallel", "64", "media", tmp.resolve("healed").toString());
            assertEquals(0, healed.exit(), healed.toString());
            assertTrue(healed.out().contains(" from the block cache, 1Mi from the origin"), healed.out());
            assertEquals(expected, listing(tmp.resolve("healed")));

            Sh.Result mounted = clone("--through-mount", "media", tmp.resolve("mounted").toString());
            assertEquals(0, mounted.exit(), mounted.toString());
            assertTrue(mounted.out().strip().endsWith("; read through the mount"), mounted.out());
            assertEquals(expected, listing(tmp.resolve("mounted")));

            // a user who cannot read the daemon's secret clones through the mount, told why
            Files.delete(m.dir.resolve("account.key"));
            Sh.Result fallback = clone("media", tmp.resolve("fallback").toString());
            assertEquals(0, fallback.exit(), fallback.toString());
            assertTrue(fallback.err().contains("cloudmirror: reading media through the mount (slower): ")
                    && fallback.err().contains("account.key"), fallback.toString());
            assertTrue(fallback.out().strip().endsWith("; read through the mount"), fallback.out());
            assertEquals(expected, listing(tmp.resolve("fallback")));
        }
    }

    @Test
    void refusalsNameTheProblemAndWriteNothing() throws Exception {
        try (MirrorMount m = mount()) {
            Sh.Result inside = clone("media", m.mountpoint.resolve("mirrorSubDir/x").toString());
            assertEquals(1, inside.exit(), inside.toString());
            assertTrue(inside.err().contains("is inside the cloudmirror mount " + m.mountpoint), inside.toString());

            Path full = Files.createDirectories(tmp.resolve("full"));
            Files.writeString(full.resolve("mine.txt"), "mine");
            Sh.Result notEmpty = clone("media", full.toString());
            assertEquals(1, notEmpty.exit(), notEmpty.toString());
            assertTrue(notEmpty.err().contains("is not empty") && notEmpty.err().contains("--force"), notEmpty.toString());
            assertEquals(List.of(full.resolve("mine.txt")), Files.list(full).toList());

            Sh.Result unknown = clone("nosuch", tmp.resolve("new").toString());
            assertEquals(1, unknown.exit(), unknown.toString());
            assertTrue(unknown.err().contains("no running daemon serves a subvolume or mount point \"nosuch\""),
                    unknown.toString());
            assertFalse(Files.exists(tmp.resolve("new")));

            Sh.Result forced = clone("--force", "media", full.toString());
            assertEquals(0, forced.exit(), forced.toString());
            assertEquals("mine", Files.readString(full.resolve("mine.txt")));
            assertEquals(Integer.toString(FILES + 1), Sh.bash(full, "find . -type f | wc -l").out().strip(),
                    "the tree and the file that was there");
        }
    }
}
