package io.cloudmirror.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Non-Azure sources end to end: a {@code spec.vfsSource} of a local directory and of a zip archive, mounted
 * through the real launcher, read back through the kernel, synced on demand and shown by status.
 */
class VfsMountIT {

    /** A whole-second time well in the past, so the mirrored mtime is exact and checkable. */
    private static final Instant MTIME = Instant.parse("2024-03-01T12:34:56Z");

    @TempDir
    Path tmp;

    /** name -> content of a small tree with nesting, an empty file, odd names and one multi-block file. */
    private static Map<String, byte[]> tree() {
        Random random = new Random(7);
        Map<String, byte[]> t = new TreeMap<>();
        for (int d = 0; d < 3; d++) {
            for (int f = 0; f < 5; f++) {
                byte[] b = new byte[random.nextInt(30_000)];
                random.nextBytes(b);
                t.put("dir" + d + "/sub/f" + f + ".bin", b);
            }
        }
        byte[] large = new byte[9 * 1024 * 1024 + 17];
        random.nextBytes(large);
        t.put("large.bin", large);
        t.put("empty.txt", new byte[0]);
        t.put("with space & #hash%?.txt", "odd name".getBytes(StandardCharsets.UTF_8));
        return t;
    }

    @Test
    void localDirectoryIsMirroredAndResyncedOnDemand() throws Exception {
        Path source = Files.createDirectories(tmp.resolve("source"));
        Map<String, byte[]> expected = tree();
        for (Map.Entry<String, byte[]> e : expected.entrySet()) {
            Path f = source.resolve(e.getKey());
            Files.createDirectories(f.getParent());
            Files.write(f, e.getValue());
            Files.setLastModifiedTime(f, FileTime.from(MTIME));
        }
        Path runtime = Files.createDirectories(tmp.resolve("run"));
        Map<String, String> env = Map.of("CLOUDMIRROR_RUNTIME_DIR", runtime.toString());
        try (MirrorMount m = new MirrorMount(Files.createDirectories(tmp.resolve("m")))
                .writeVfsConfig(source.toUri().toString())) {
            Sh.Result r = m.mount(env);
            assertEquals(0, r.exit(), r + "\nlog:\n" + m.logText());
            m.awaitFiles(expected.size(), Duration.ofMinutes(1));
            Path root = m.mountpoint.resolve("mirrorSubDir");
            assertEquals(sums(expected), tree(root), "every byte through the kernel equals the source file");
            Sh.Result st = Sh.bash(root, "stat -c '%a %Y %s' large.bin");
            assertEquals("444 " + MTIME.getEpochSecond() + " " + expected.get("large.bin").length + "\n", st.out(),
                    "mode, mtime and size come from the source file");
            Sh.Result xattrs = Sh.bash(root, "getfattr -d -m - large.bin");
            assertEquals("", xattrs.out().strip(), "a VFS source has no index tags: " + xattrs);

            // the source changes; `cloudmirror sync` brings the change in, status shows the source connected
            Files.write(source.resolve("dir0/new.txt"), "new".getBytes(StandardCharsets.UTF_8));
            Files.write(source.resolve("empty.txt"), "not empty now".getBytes(StandardCharsets.UTF_8));
            Files.delete(source.resolve("dir1/sub/f0.bin"));
            Sh.Result sync = Sh.run(List.of(MirrorMount.LAUNCHER.toString(), "sync", "media"), env, tmp,
                    Duration.ofMinutes(2));
            assertEquals(0, sync.exit(), sync + "\nlog:\n" + m.logText());
            assertEquals("new", Files.readString(root.resolve("dir0/new.txt")));
            assertEquals("not empty now", Sh.bash(root, "cat empty.txt").out());
            Sh.Result gone = Sh.bash(root, "ls dir1/sub/f0.bin");
            assertTrue(gone.exit() != 0 && gone.err().contains("No such file"), "a deleted source file is gone: " + gone);
            Sh.Result status = Sh.run(List.of(MirrorMount.LAUNCHER.toString(), "status"), env, tmp,
                    Duration.ofMinutes(1));
            assertEquals(0, status.exit(), status.toString());
            assertTrue(status.out().contains("Connected"), status.toString());
        }
    }

    @Test
    void zipArchiveIsMirrored() throws Exception {
        Map<String, byte[]> expected = tree();
        Path zip = tmp.resolve("data.zip");
        try (OutputStream out = Files.newOutputStream(zip); ZipOutputStream z = new ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> e : expected.entrySet()) {
                ZipEntry entry = new ZipEntry(e.getKey());
                entry.setLastModifiedTime(FileTime.from(MTIME));
                z.putNextEntry(entry);
                z.write(e.getValue());
                z.closeEntry();
            }
        }
        try (MirrorMount m = new MirrorMount(Files.createDirectories(tmp.resolve("z")))
                .writeVfsConfig("zip:" + zip.toUri() + "!/")) {
            Sh.Result r = m.mount(Map.of("CLOUDMIRROR_RUNTIME_DIR", Files.createDirectories(tmp.resolve("zrun"))
                    .toString()));
            assertEquals(0, r.exit(), r + "\nlog:\n" + m.logText());
            m.awaitFiles(expected.size(), Duration.ofMinutes(1));
            Path root = m.mountpoint.resolve("mirrorSubDir");
            assertEquals(sums(expected), tree(root), "every byte through the kernel equals the archive member");
            Sh.Result st = Sh.bash(root, "stat -c '%Y' dir2/sub/f4.bin");
            assertEquals(MTIME.getEpochSecond() + "\n", st.out(), "the member's time is the file's mtime");
        }
    }

    private static Map<String, String> sums(Map<String, byte[]> tree) throws Exception {
        Map<String, String> out = new TreeMap<>();
        for (Map.Entry<String, byte[]> e : tree.entrySet()) {
            out.put(e.getKey(), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(e.getValue())));
        }
        return out;
    }

    /** path -> sha256 of every file under {@code root}, read through the kernel. */
    private static Map<String, String> tree(Path root) throws Exception {
        Sh.Result r = Sh.bash(root, "find . -type f -print0 | sort -z | xargs -0 -r sha256sum");
        assertEquals(0, r.exit(), r.toString());
        Map<String, String> out = new TreeMap<>();
        for (String line : r.out().split("\n")) {
            if (!line.isBlank()) {
                out.put(line.substring(66).replaceFirst("^\\./", ""), line.substring(0, 64));
            }
        }
        return out;
    }
}
