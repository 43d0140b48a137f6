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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * No write path exists, syscall by syscall (EROFS for every write, create, delete, rename, link, attribute
 * and xattr change, and for every open that could write: {@code O_WRONLY}, {@code O_RDWR}, {@code O_TRUNC},
 * {@code O_APPEND}, {@code O_CREAT}); other users reach the mount only with {@code allow_other}, and then only
 * to read; the account key appears in no log, command line or environment; Chronicle analytics is off and the
 * daemon talks to nothing but the (loopback) blob endpoint.
 */
class SecurityIT {

    @RegisterExtension
    static final Azurite AZURITE = new Azurite();

    /** Each write path as a syscall, printing the errno name it got (or "ok"). */
    private static final String PROBE = """
            import errno, os, sys
            f, d = 'dir/file.bin', 'dir'
            def t(name, fn):
                try:
                    r = fn()
                    if isinstance(r, int) and name.startswith('open'):
                        os.close(r)
                    print(name, 'ok')
                except OSError as e:
                    print(name, errno.errorcode[e.errno])
            t('open O_WRONLY', lambda: os.open(f, os.O_WRONLY))
            t('open O_RDWR', lambda: os.open(f, os.O_RDWR))
            t('open O_RDONLY|O_TRUNC', lambda: os.open(f, os.O_RDONLY | os.O_TRUNC))
            t('open O_WRONLY|O_TRUNC', lambda: os.open(f, os.O_WRONLY | os.O_TRUNC))
            t('open O_WRONLY|O_APPEND', lambda: os.open(f, os.O_WRONLY | os.O_APPEND))
            t('open O_CREAT existing', lambda: os.open(f, os.O_RDONLY | os.O_CREAT, 0o644))
            t('open O_CREAT new', lambda: os.open('dir/new', os.O_WRONLY | os.O_CREAT, 0o644))
            t('open O_CREAT|O_EXCL', lambda: os.open('new2', os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644))
            t('mkdir', lambda: os.mkdir('newdir'))
            t('rmdir', lambda: os.rmdir('empty-dir'))
            t('unlink', lambda: os.unlink(f))
            t('rename file', lambda: os.rename(f, 'dir/moved'))
            t('rename dir', lambda: os.rename(d, 'moved-dir'))
            t('rename onto', lambda: os.rename(f, 'top.txt'))
            t('chmod', lambda: os.chmod(f, 0o777))
            t('chown', lambda: os.chown(f, 1, 1))
            t('truncate', lambda: os.truncate(f, 0))
            t('utimens', lambda: os.utime(f, (0, 0)))
            t('utimens now', lambda: os.utime(f))
            t('setxattr', lambda: os.setxattr(f, 'user.x', b'1'))
            t('setxattr replace', lambda: os.setxattr(f, 'user.azindex.tier', b'cold'))
            t('setxattr dir', lambda: os.setxattr(d, 'user.x', b'1'))
            t('removexattr', lambda: os.removexattr(f, 'user.azindex.tier'))
            t('symlink', lambda: os.symlink(f, 'link'))
            t('link', lambda: os.link(f, 'hard'))
            t('mknod fifo', lambda: os.mkfifo('fifo'))
            t('mknod file', lambda: os.mknod('node'))
            print('access W_OK', 'ok' if os.access(f, os.W_OK) else 'denied')
            print('read', open(f, 'rb').read().decode())
            """;

    private static final String[] WRITES = {
        "open O_WRONLY", "open O_RDWR", "open O_RDONLY|O_TRUNC", "open O_WRONLY|O_TRUNC", "open O_WRONLY|O_APPEND",
        "open O_CREAT new", "open O_CREAT|O_EXCL", "mkdir", "rmdir", "unlink", "rename file", "rename dir",
        "rename onto", "chmod", "chown", "truncate", "utimens", "utimens now", "setxattr", "setxattr replace",
        "setxattr dir", "removexattr", "symlink", "link", "mknod fifo", "mknod file"};

    @TempDir
    Path tmp;

    @BeforeAll
    static void upload() {
        BlobContainerClient c = AZURITE.createContainer("secure");
        c.getBlobClient("dir/file.bin").uploadWithResponse(new BlobParallelUploadOptions(
                BinaryData.fromString("secret-free bytes")).setTags(Map.of("tier", "hot")), null, Context.NONE);
        c.getBlobClient("top.txt").upload(BinaryData.fromString("top"));
        c.getBlobClient("empty-dir/").upload(BinaryData.fromString(""));
    }

    private MirrorMount mount(Path dir, String... options) throws Exception {
        // other users must be able to reach the mount point, so that only the mount itself can refuse them
        Files.createDirectories(dir.resolve("mnt"));
        for (Path p : new Path[] {tmp, dir, dir.resolve("mnt")}) {
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        MirrorMount m = new MirrorMount(dir).writeConfig(AZURITE.endpoint().toString(),
                AZURITE.accountKey(), "secure", "MirrorIndexTags", "");
        Sh.Result r = m.mount(options);
        assertEquals(0, r.exit(), r + "\nlog:\n" + m.logText());
        m.awaitFiles(2, Duration.ofMinutes(1));
        return m;
    }

    @Test
    void everyWritePathIsReadOnlyAndNoSecretLeaks() throws Exception {
        try (MirrorMount m = mount(tmp.resolve("a"))) {
            Path root = m.mountpoint.resolve("mirrorSubDir");
            Sh.Result r = Sh.run(java.util.List.of("/usr/bin/python3", "-c", PROBE), Map.of(), root, Duration.ofMinutes(1));
            assertEquals(0, r.exit(), r.toString());
            for (String w : WRITES) {
                assertTrue(r.out().contains("\n" + w + " EROFS\n") || r.out().startsWith(w + " EROFS\n"),
                        w + " must fail with EROFS:\n" + r.out());
            }
            assertTrue(r.out().contains("open O_CREAT existing EROFS") || r.out().contains("open O_CREAT existing ok"),
                    "O_CREAT of an existing file without write access either opens it read-only or is refused:\n"
                            + r.out());
            assertTrue(r.out().contains("access W_OK denied"), r.out());
            assertTrue(r.out().contains("read secret-free bytes"), "reads still work:\n" + r.out());
            assertEquals("secret-free bytes", Files.readString(root.resolve("dir/file.bin")), "nothing changed");
            assertEquals(0, Sh.bash("test -d '" + root + "/empty-dir' && ! test -e '" + root + "/newdir'").exit());

            // Secrets: not in the log, the command line or the environment of the daemon.
            long pid = m.daemonPid();
            String key = AZURITE.accountKey();
            String cmdline = Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ');
            String environ = Files.readString(Path.of("/proc/" + pid + "/environ")).replace('\0', ' ');
            for (String where : new String[] {m.logText(), cmdline, environ}) {
                assertFalse(where.contains(key), "the account key leaked");
                assertFalse(where.contains(key.substring(0, 20)), "part of the account key leaked");
            }
            // No phone-home: Chronicle analytics off, and every TCP peer of the daemon is the loopback endpoint.
            assertTrue(cmdline.contains("-Dchronicle.analytics.disable=true"), cmdline);
            Sh.Result ss = Sh.bash("ss -tnpH | grep 'pid=" + pid + ",' || true");
            for (String line : ss.out().lines().toList()) {
                String[] cols = line.trim().split("\\s+");
                assertTrue(cols[4].startsWith("127.0.0.1:") || cols[4].startsWith("[::1]:")
                        || cols[4].startsWith("[::ffff:127.0.0.1]:"), "the daemon talks only to loopback: " + line);
            }
        }
    }

    @Test
    void otherUsersReadOnlyWithAllowOther() throws Exception {
        String asNobody = "setpriv --reuid=65534 --regid=65534 --clear-groups -- ";
        try (MirrorMount m = mount(tmp.resolve("private"))) {
            Sh.Result r = Sh.bash(asNobody + "cat '" + m.mountpoint + "/mirrorSubDir/top.txt'");
            assertNotEquals(0, r.exit(), "without allow_other another user cannot read: " + r);
            assertTrue(r.err().contains("Permission denied"), r.toString());
        }
        try (MirrorMount m = mount(tmp.resolve("shared"), "allow_other")) {
            Path f = m.mountpoint.resolve("mirrorSubDir/top.txt");
            Sh.Result r = Sh.bash(asNobody + "cat '" + f + "'");
            assertEquals(0, r.exit(), r.toString());
            assertEquals("top", r.out());
            Sh.Result w = Sh.bash(asNobody + "sh -c 'echo x >> \"" + f + "\"'");
            assertNotEquals(0, w.exit());
            assertTrue(w.err().contains("Read-only file system") || w.err().contains("Permission denied"), w.toString());
            assertEquals("top", Files.readString(f, StandardCharsets.UTF_8));
        }
    }
}
