package io.cloudmirror.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A cloudmirror mount driven the way a user drives it: a YAML file written to disk, the real launcher
 * script ({@code packaging/cloudmirror}), the kernel's mount table, and umount. For end-to-end tests.
 */
final class MirrorMount implements AutoCloseable {

    static final Path LAUNCHER = Path.of(System.getProperty("cloudmirror.launcher", "../packaging/cloudmirror"))
            .toAbsolutePath().normalize();

    final Path dir;
    final Path config;
    final Path mountpoint;
    final Path cache;
    final Path log;

    MirrorMount(Path dir) throws IOException {
        this.dir = dir;
        this.config = dir.resolve("media.yaml");
        this.mountpoint = dir.resolve("mnt");
        this.cache = dir.resolve("cache");
        this.log = dir.resolve("daemon.log");
        Files.createDirectories(mountpoint);
        requireFuse();
    }

    /** FUSE tests must fail, not skip, where FUSE is missing: CI has /dev/fuse. */
    static void requireFuse() {
        if (!Files.exists(Path.of("/dev/fuse"))) {
            fail("/dev/fuse is missing: FUSE end-to-end tests need it (CI provides it)");
        }
        if (!Files.isExecutable(LAUNCHER)) {
            fail("launcher " + LAUNCHER + " is missing or not executable");
        }
    }

    /** Writes an ACCOUNT_KEY configuration for {@code container} with a fresh oneshot UUID. */
    MirrorMount writeConfig(String endpoint, String key, String container, String tagsMode, String extraSpec)
            throws IOException {
        Path secret = dir.resolve("account.key");
        Files.writeString(secret, key);
        Files.setPosixFilePermissions(secret, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        return writeAuthConfig(endpoint, "authType: ACCOUNT_KEY\nsecretFile: account.key", container, tagsMode, extraSpec);
    }

    /** Writes a configuration with the given {@code spec.authentication} lines and a fresh oneshot UUID. */
    MirrorMount writeAuthConfig(String endpoint, String authentication, String container, String tagsMode,
                                String extraSpec) throws IOException {
        Files.writeString(config, """
                apiVersion: "arccontainerstorage.azure.net/v1"
                kind: MirrorSubvolume
                metadata:
                  name: media
                spec:
                  edgevolume: edge1
                  path: mirrorSubDir # Don't use a preceding slash
                  authentication:
                %s
                  blobAccount:
                    accountEndpoint: "%s"
                    containerName: %s
                    indexTagsMode: %s
                  blobFiltering:
                    blobNamePrefix:
                  schedule:
                    frequency: "@hourly"
                    oneshot: %s
                  cache:
                    directory: %s
                %s""".formatted(authentication.indent(4).stripTrailing(), endpoint, container, tagsMode,
                UUID.randomUUID(), cache, extraSpec),
                StandardCharsets.UTF_8);
        return this;
    }

    /** Writes a configuration mirroring the commons-vfs source {@code uri} (no authentication), syncing at start. */
    MirrorMount writeVfsConfig(String uri) throws IOException {
        Files.writeString(config, """
                apiVersion: "arccontainerstorage.azure.net/v1"
                kind: MirrorSubvolume
                metadata:
                  name: media
                spec:
                  path: mirrorSubDir
                  vfsSource:
                    uri: "%s"
                  schedule:
                    frequency: "@hourly"
                    oneshot: %s
                  cache:
                    directory: %s
                """.formatted(uri, UUID.randomUUID(), cache), StandardCharsets.UTF_8);
        return this;
    }

    /** {@code cloudmirror mount CONFIG MNT -o ...}; returns what it did. */
    Sh.Result mount(String... options) throws IOException, InterruptedException {
        return mount(Map.of(), options);
    }

    /** {@code cloudmirror mount CONFIG MNT -o ...} with {@code env} added to the launcher's environment. */
    Sh.Result mount(Map<String, String> env, String... options) throws IOException, InterruptedException {
        StringBuilder o = new StringBuilder("log_file=" + log);
        for (String opt : options) {
            o.append(',').append(opt);
        }
        return Sh.run(List.of(LAUNCHER.toString(), "mount", config.toString(), mountpoint.toString(), "-o", o.toString()),
                env, dir, Duration.ofMinutes(3));
    }

    /** Whether the kernel lists a cloudmirror mount at the mount point. */
    boolean mounted() throws IOException {
        String want = " " + mountpoint + " fuse.cloudmirror ";
        return Files.readAllLines(Path.of("/proc/mounts")).stream().anyMatch(l -> l.contains(want));
    }

    /** Waits until the mounted tree holds {@code files} regular files (the start-up sync published). */
    void awaitFiles(int files, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            Sh.Result r = Sh.bash("find '" + mountpoint + "' -type f | wc -l");
            last = r.out().strip();
            if (r.exit() == 0 && last.equals(Integer.toString(files))) {
                return;
            }
            Thread.sleep(200);
        }
        fail("mount did not show " + files + " files within " + timeout + " (last count " + last + "); log:\n" + logText());
    }

    /** The daemon's log so far. */
    String logText() throws IOException {
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "(no log)";
    }

    /** The pid of the daemon serving this mount point, or -1. */
    long daemonPid() throws IOException, InterruptedException {
        Sh.Result r = Sh.bash("pgrep -f -- 'io.cloudmirror.cli.Main mount -f .* " + mountpoint + "( |$)' | head -n 1");
        String s = r.out().strip();
        return s.isEmpty() ? -1 : Long.parseLong(s);
    }

    /** Waits until the mount is gone and its daemon has exited. */
    void awaitGone(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!mounted() && daemonPid() < 0) {
                return;
            }
            Thread.sleep(100);
        }
        fail("mount or daemon still there after " + timeout + "; log:\n" + logText());
    }

    /** Unmounts (lazily, forcefully) whatever is left, and kills a leftover daemon. */
    @Override
    public void close() throws IOException, InterruptedException {
        if (mounted()) {
            Sh.bash("fusermount -u -z '" + mountpoint + "' || umount -l '" + mountpoint + "'");
        }
        long pid = daemonPid();
        if (pid > 0) {
            Sh.bash("kill -9 " + pid);
        }
        assertEquals(false, mounted(), "cleanup left " + mountpoint + " mounted");
    }
}
