package io.cloudmirror.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import io.cloudmirror.e2e.Sh;
import io.cloudmirror.origin.Azurite;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Debian package end to end, as root, the way an operator uses it: builds
 * {@code cloudmirror_<version>_all.deb} with {@code dpkg-buildpackage} from a copy of the source tree
 * (Maven offline), checks it with lintian, installs it with dpkg (dependencies through apt), mounts a
 * container of a real Azurite through {@code mount -t fuse.cloudmirror} and through an fstab line, reads every
 * byte back, verifies the systemd unit and its {@code Type=notify} readiness, shows that "pods" (mount
 * namespaces that bind the parent host directory, as the Kubernetes manifests do) keep seeing the mount across
 * daemon crashes, then removes and purges the package.
 *
 * <p>The machine is left as it was found: mounts, daemons and pods gone, /etc/fstab restored, package
 * purged. A lock file serializes runs of this class on one machine (they share dpkg, /etc and /usr/bin).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DebianPackageIT {

    @RegisterExtension
    static final Azurite AZURITE = new Azurite();

    private static final Path ROOT = Path.of(System.getProperty("cloudmirror.root", "..")).toAbsolutePath().normalize();
    private static final String VERSION = System.getProperty("cloudmirror.version", "0.1.0");
    private static final String PACKAGE = "cloudmirror";
    private static final Path CONFIG = Path.of("/etc/cloudmirror/media.yaml");
    private static final Path UNIT = Path.of("/lib/systemd/system/cloudmirror@.service");
    private static final Path FSTAB = Path.of("/etc/fstab");
    private static final Path CACHE = Path.of("/var/cache/cloudmirror");
    private static final int NOBODY = 65534;
    private static final Duration SERVE_TIMEOUT = Duration.ofMinutes(2);
    private static final List<String> TOOLS = List.of("dpkg-buildpackage", "dpkg-parsechangelog", "lintian", "dpkg",
            "apt-get", "systemd-analyze", "unshare", "nsenter", "setpriv", "python3", "mount", "umount", "pgrep",
            "tar", "sha256sum", "mvn");

    /** blob name (= path under mirrorSubDir) -> sha256 of its content */
    private static final Map<String, String> EXPECTED = new TreeMap<>();

    private static FileChannel lockFile;
    private static FileLock lock;
    private static Path work;
    private static Path deb;
    private static byte[] fstabBefore;

    // ---------------------------------------------------------------- set-up and tear-down

    @BeforeAll
    static void buildInstallAndConfigure() throws Exception {
        lockFile = FileChannel.open(Path.of(Files.isDirectory(Path.of("/run/lock")) ? "/run/lock" : "/tmp",
                "cloudmirror-packaging-it.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        lock = lockFile.lock();
        requirePrerequisites();
        work = Files.createTempDirectory(Path.of("/tmp"), "cloudmirror-packaging-");
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x")); // nobody must traverse it
        fstabBefore = Files.readAllBytes(FSTAB);
        if (installed()) {
            ok("dpkg -P " + PACKAGE); // left by an interrupted run
        }
        uploadBlobs();
        deb = buildDeb();
        ok("dpkg -i '" + deb + "' || DEBIAN_FRONTEND=noninteractive apt-get install -f -y -q --no-install-recommends"
                + " -o DPkg::Lock::Timeout=300");
        assertTrue(installed(), "dpkg -i did not leave " + PACKAGE + " installed");
        configure();
    }

    /** Undoes whatever a failed test left; fails only if something could not be undone. */
    @AfterAll
    static void leaveTheMachineClean() throws Exception {
        List<String> problems = new ArrayList<>();
        try {
            if (work != null) {
                for (Path mnt : List.of(work.resolve("data"), work.resolve("notify"), work.resolve("host/media"))) {
                    unmount(mnt);
                }
                if (Sh.bash("grep -q ' " + work.resolve("host") + " ' /proc/self/mountinfo").exit() == 0) {
                    Sh.bash("umount -l '" + work.resolve("host") + "'");
                }
            }
            if (fstabBefore != null && !Arrays.equals(fstabBefore, Files.readAllBytes(FSTAB))) {
                Files.write(FSTAB, fstabBefore);
            }
            if (installed()) {
                Sh.Result r = Sh.bash("dpkg -P " + PACKAGE);
                if (r.exit() != 0) {
                    problems.add("dpkg -P " + PACKAGE + " failed: " + r);
                }
            }
            if (work != null) {
                String left = Sh.bash("grep -F '" + work + "' /proc/self/mountinfo || true").out();
                if (left.isBlank()) {
                    Sh.bash("rm -rf '" + work + "'");
                } else {
                    problems.add("mounts left under " + work + ":\n" + left);
                }
            }
        } finally {
            if (lock != null) {
                lock.release();
                lockFile.close();
            }
        }
        if (!problems.isEmpty()) {
            fail("the packaging tests could not clean up: " + problems);
        }
    }

    private static void requirePrerequisites() throws Exception {
        Sh.Result id = Sh.bash("id -u");
        if (!id.out().strip().equals("0")) {
            fail("the packaging tests install a Debian package and mount through mount(8): run them as root (CI does)");
        }
        List<String> missing = new ArrayList<>();
        for (String tool : TOOLS) {
            if (Sh.bash("command -v " + tool).exit() != 0) {
                missing.add(tool);
            }
        }
        if (!missing.isEmpty()) {
            fail("missing for the packaging tests: " + missing + "; run tools/setup.sh (it installs debhelper, lintian, "
                    + "systemd, python3, fuse3 ...)");
        }
        if (!Files.exists(Path.of("/dev/fuse"))) {
            fail("/dev/fuse is missing: the packaging tests mount for real");
        }
    }

    private static void uploadBlobs() throws Exception {
        BlobContainerClient c = AZURITE.createContainer("media");
        Random random = new Random(7);
        Map<String, byte[]> blobs = new TreeMap<>();
        for (int d = 0; d < 5; d++) {
            for (int f = 0; f < 6; f++) {
                byte[] b = new byte[random.nextInt(80_000)];
                random.nextBytes(b);
                blobs.put("data/d" + d + "/f" + f + ".bin", b);
            }
        }
        byte[] model = new byte[3 * 1024 * 1024 + 17];
        random.nextBytes(model);
        blobs.put("models/model.bin", model);
        blobs.put("with space.txt", "mirrored\n".getBytes(StandardCharsets.UTF_8));
        for (Map.Entry<String, byte[]> e : blobs.entrySet()) {
            c.getBlobClient(e.getKey()).upload(BinaryData.fromBytes(e.getValue()));
            EXPECTED.put(e.getKey(), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(e.getValue())));
        }
    }

    /** dpkg-buildpackage on a copy of the source tree without build output, as a fresh clone would be. */
    private static Path buildDeb() throws Exception {
        Path src = work.resolve("src");
        Files.createDirectories(src);
        ok("tar -C '" + ROOT + "' --exclude=./.git --exclude=target --exclude=node_modules --exclude=./debian/cloudmirror"
                + " --exclude=./debian/.debhelper -cf - . | tar -C '" + src + "' -xf -");
        Sh.Result build = Sh.run(List.of("bash", "-c", "dpkg-buildpackage -us -uc -b > ../build.log 2>&1"), Map.of(), src,
                Duration.ofMinutes(20));
        if (build.exit() != 0) {
            fail("dpkg-buildpackage -us -uc -b failed:\n" + Sh.bash("tail -n 60 '" + work.resolve("build.log") + "'").out());
        }
        Path built = work.resolve(PACKAGE + "_" + VERSION + "_all.deb");
        assertTrue(Files.isRegularFile(built), "expected " + built + "; built: " + Sh.bash("ls '" + work + "'").out());
        return built;
    }

    /** Points the installed sample configuration at Azurite; the cache goes to the package's default root. */
    private static void configure() throws IOException {
        Path key = work.resolve("media.key");
        Files.writeString(key, AZURITE.accountKey());
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        Files.writeString(CONFIG, """
                apiVersion: "arccontainerstorage.azure.net/v1"
                kind: MirrorSubvolume
                metadata:
                  name: media
                spec:
                  edgevolume: edge1
                  path: mirrorSubDir # Don't use a preceding slash
                  authentication:
                    authType: ACCOUNT_KEY
                    secretFile: %s
                  blobAccount:
                    accountEndpoint: "%s"
                    containerName: media
                    indexTagsMode: NoIndexTags
                  blobFiltering:
                    blobNamePrefix:
                  schedule:
                    frequency: "@hourly"
                    oneshot: %s
                """.formatted(key, AZURITE.endpoint(), UUID.randomUUID()));
    }

    // ---------------------------------------------------------------- the package itself

    @Test
    @Order(1)
    void packageHasItsVersionDependenciesAndFiles() throws Exception {
        assertEquals(VERSION, ok("dpkg-parsechangelog -l '" + ROOT.resolve("debian/changelog") + "' -S Version").out().strip(),
                "debian/changelog's version is the Maven project version");
        String fields = ok("dpkg-deb -f '" + deb + "' Version Architecture Depends Recommends").out();
        assertTrue(fields.contains("Version: " + VERSION + "\n"), fields);
        assertTrue(fields.contains("Architecture: all\n"), fields);
        assertTrue(fields.contains("Depends: openjdk-17-jdk-headless | java17-sdk-headless, fuse3, libfuse3-3"), fields);
        assertTrue(fields.contains("Recommends: uuid-runtime"), fields);

        for (String f : List.of("/usr/bin/cloudmirror", "/usr/share/cloudmirror/lib/cloudmirror-fs-" + VERSION + ".jar",
                "/etc/cloudmirror/media.env", UNIT.toString(), "/usr/share/doc/cloudmirror/copyright")) {
            assertTrue(Files.isRegularFile(Path.of(f)), f + " is installed");
        }
        assertTrue(Files.isDirectory(CACHE), CACHE + " is installed");
        assertTrue(ok("man -w cloudmirror").out().contains("/usr/share/man/man1/cloudmirror.1"));
        String conffiles = ok("dpkg-query -W -f='${Conffiles}' " + PACKAGE).out();
        assertTrue(conffiles.contains("/etc/cloudmirror/media.yaml") && conffiles.contains("/etc/cloudmirror/media.env"),
                conffiles);
        // mount(8) may run the launcher with hardly any environment: it must find java by itself.
        Sh.Result version = Sh.bash("env -i /usr/bin/cloudmirror --version");
        assertEquals("cloudmirror " + VERSION, version.out().strip(), version.toString());
    }

    @Test
    @Order(2)
    void lintianReportsNoErrors() throws Exception {
        Sh.Result r = Sh.bash("lintian --fail-on error '" + deb + "' 2>&1");
        assertEquals(0, r.exit(), r.toString());
        assertFalse(r.out().lines().anyMatch(l -> l.startsWith("E: ")), r.out());
    }

    @Test
    @Order(3)
    void systemdUnitVerifies() throws Exception {
        Path dir = Files.createDirectories(work.resolve("units"));
        Path instance = dir.resolve("cloudmirror@media.service");
        Files.createSymbolicLink(instance, UNIT);
        Sh.Result r = Sh.bash("systemd-analyze verify '" + instance + "' 2>&1");
        assertEquals(0, r.exit(), r.toString());
        assertFalse(r.out().contains("cloudmirror@"), "no warning about the unit: " + r.out());
        String unit = Files.readString(UNIT);
        for (String line : List.of("Type=notify", "After=network-online.target", "Wants=network-online.target",
                "Restart=on-failure", "ExecStart=/usr/bin/cloudmirror mount -f /etc/cloudmirror/%i.yaml")) {
            assertTrue(unit.contains("\n" + line), "the unit has " + line);
        }
    }

    // ---------------------------------------------------------------- mounting through mount(8)

    @Test
    @Order(4)
    void mountTypeFuseCloudmirrorServesEveryByteAndUmountStopsTheDaemon() throws Exception {
        Path data = Files.createDirectories(work.resolve("data"));
        try {
            mountTypeFuseCloudmirror(data);
        } finally {
            unmount(data);
        }
    }

    private static void mountTypeFuseCloudmirror(Path data) throws Exception {
        // As at boot: no environment; mount.fuse runs `cloudmirror SOURCE MOUNTPOINT -o rw,allow_other,dev,suid`.
        Sh.Result r = Sh.bash("env -i /bin/mount -t fuse.cloudmirror " + CONFIG + " '" + data + "' -o allow_other");
        assertEquals(0, r.exit(), r + logs());
        assertTrue(mounted(data), "mount returned 0 before the mount was live");
        Path tree = data.resolve("mirrorSubDir");
        awaitTree(() -> Sh.bash(sums(tree)));
        Sh.Result nobody = Sh.run(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups", "sh", "-c",
                sums(tree)), Map.of(), null, Duration.ofMinutes(2));
        assertEquals(EXPECTED, parse(nobody), "another user reads every byte with allow_other: " + nobody);
        assertTrue(Sh.bash("df -P '" + data + "' | tail -n 1").out().startsWith("devstoreaccount1/media "));
        assertTrue(Sh.bash("grep ' " + data + " ' /proc/mounts").out().contains(" fuse.cloudmirror ro,"));
        assertEquals(0, Sh.bash("grep -l 'mount live on " + data + "' /var/log/cloudmirror/*.log").exit(),
                "the background daemon logs under /var/log/cloudmirror");

        assertEquals(0, Sh.bash("umount '" + data + "'").exit());
        awaitGone(data);
        assertEquals(0, Sh.bash("grep -l 'unmounted " + data + "' /var/log/cloudmirror/*.log").exit(), logs());
    }

    @Test
    @Order(5)
    void fstabLineMountsWithMountMountpoint() throws Exception {
        Path data = Files.createDirectories(work.resolve("data"));
        String line = CONFIG + " " + data + " fuse.cloudmirror ro,allow_other,_netdev,nofail,nodev,nosuid 0 0\n";
        try {
            Files.writeString(FSTAB, new String(fstabBefore, StandardCharsets.UTF_8)
                    + (fstabBefore.length > 0 && fstabBefore[fstabBefore.length - 1] != '\n' ? "\n" : "")
                    + "# cloudmirror packaging test\n" + line);
            Sh.Result r = Sh.bash("env -i /bin/mount '" + data + "'");
            assertEquals(0, r.exit(), r + logs());
            assertTrue(mounted(data), "mount returned 0 before the mount was live");
            String options = Sh.bash("grep ' " + data + " ' /proc/mounts").out();
            assertTrue(options.contains(" fuse.cloudmirror ro,nosuid,nodev"), options);
            awaitTree(() -> Sh.bash(sums(data.resolve("mirrorSubDir"))));
            assertEquals(0, Sh.bash("umount '" + data + "'").exit());
            awaitGone(data);
        } finally {
            Files.write(FSTAB, fstabBefore);
            unmount(data);
        }
        assertTrue(Arrays.equals(fstabBefore, Files.readAllBytes(FSTAB)), "/etc/fstab restored");
    }

    @Test
    @Order(6)
    void systemdReadinessIsSentByTheMainProcessOnceTheMountIsLive() throws Exception {
        Path mnt = Files.createDirectories(work.resolve("notify"));
        Path listener = work.resolve("notify_listener.py");
        try (InputStream in = DebianPackageIT.class.getResourceAsStream("notify_listener.py")) {
            Files.copy(in, listener, StandardCopyOption.REPLACE_EXISTING);
        }
        // The unit's own ExecStart line, with systemd's substitutions done.
        String exec = Files.readString(UNIT).lines().filter(l -> l.startsWith("ExecStart=")).findFirst().orElseThrow()
                .substring("ExecStart=".length()).replace("%i", "media").replace("${MOUNTPOINT}", mnt.toString())
                .replace("${OPTIONS}", "allow_other");
        List<String> cmd = new ArrayList<>(List.of("python3", listener.toString(), work.resolve("notify.sock").toString(),
                mnt.toString(), work.resolve("notify.log").toString()));
        cmd.addAll(List.of(exec.split(" +")));
        Sh.Result r;
        try {
            r = Sh.run(cmd, Map.of(), work, Duration.ofMinutes(4));
        } finally {
            unmount(mnt);
        }
        String log = Files.exists(work.resolve("notify.log")) ? Files.readString(work.resolve("notify.log")) : "";
        List<String> lines = r.out().lines().toList();
        assertFalse(lines.isEmpty(), r + log);
        assertEquals("main live READY=1|STATUS=serving " + mnt, lines.get(0),
                "READY=1 comes from the main process once the mount is live: " + r + log);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("main ") && l.endsWith(" STOPPING=1")), r + log);
        // A JVM ended by SIGTERM exits with 143 after its shutdown hooks: the unit counts that as success.
        assertEquals("exit 143", lines.get(lines.size() - 1), "SIGTERM unmounts and exits: " + r + log);
        assertTrue(Files.readString(UNIT).contains("\nSuccessExitStatus=143\n"), "the unit takes 143 for success");
        assertTrue(log.contains("unmounted " + mnt), log);
        assertFalse(mounted(mnt));
    }

    // ---------------------------------------------------------------- pods and crashed daemons

    @Test
    @Order(7)
    void podsThatBindTheParentDirectorySeeTheMountAcrossDaemonCrashes() throws Exception {
        // The host directory the DaemonSet mounts under (Bidirectional) and the pods mount (HostToContainer).
        // On a systemd host it is on a shared mount; this machine's mounts may be private, so make it shared.
        Path host = Files.createDirectories(work.resolve("host"));
        Path mnt = Files.createDirectories(host.resolve("media"));
        Files.createSymbolicLink(host.resolve("mirrorSubDir"), Path.of("media/mirrorSubDir"));
        ok("mount --bind '" + host + "' '" + host + "' && mount --make-rshared '" + host + "'");
        try (Pod pod = Pod.start(host, work.resolve("pod/data"))) {
            podSeesTheMountAcrossDaemonCrashes(pod, mnt);
        } finally {
            unmount(mnt);
            Sh.bash("umount -l '" + host + "'");
        }
    }

    private static void podSeesTheMountAcrossDaemonCrashes(Pod pod, Path mnt) throws Exception {
        String inPod = sums(pod.data.resolve("mirrorSubDir"));
        assertFalse(pod.mounts().contains("fuse.cloudmirror"), "nothing mounted before the daemon starts");

        mountAt(mnt);
        awaitTree(() -> pod.exec(inPod));
        assertEquals(EXPECTED, parse(pod.execAs(NOBODY, inPod)), "a non-root user in the pod reads with allow_other");

        // The daemon dies; its unmount watcher takes the mount down, in the pod too: no dead mount left.
        long[] first = daemonAndWatcher(mnt);
        ok("kill -9 " + first[0]);
        awaitUnmounted(mnt);
        awaitTrue(() -> !pod.mounts().contains("fuse.cloudmirror"), "the pod still lists the mount");
        assertEquals(0, pod.exec("ls '" + pod.data.resolve("media") + "'").exit(), "the pod's directory is usable");

        mountAt(mnt);
        awaitTree(() -> pod.exec(inPod));

        // The whole daemon container dies, watchers and all: a dead mount stays, on the host and in the pod ...
        long[] second = daemonAndWatcher(mnt);
        ok("kill -9 " + second[2] + " " + second[1] + " && kill -9 " + second[0]);
        // (stat -f, not stat or ls: the kernel answers those from its caches even on a dead mount)
        awaitTrue(() -> Sh.bash("stat -f '" + mnt + "'").err().contains("Transport endpoint is not connected"),
                "expected a dead mount on the host");
        assertTrue(pod.exec("stat -f '" + pod.data.resolve("mirrorSubDir") + "/'").err()
                .contains("Transport endpoint is not connected"), "the pod sees the dead mount");
        // ... until the next mount clears it, and the same pod reads the new mount.
        Sh.Result again = mountAt(mnt);
        assertTrue(again.err().contains("dead cloudmirror mount"), again.toString());
        awaitTree(() -> pod.exec(inPod));
        assertEquals(EXPECTED, parse(pod.execAs(NOBODY, inPod)));

        ok("umount '" + mnt + "'");
        awaitGone(mnt);
        awaitTrue(() -> !pod.mounts().contains("fuse.cloudmirror"), "the pod still lists the mount");
    }

    // ---------------------------------------------------------------- removal

    @Test
    @Order(8)
    void removeKeepsTheCacheAndPurgeRemovesWhatThePackageCreated() throws Exception {
        assertTrue(Files.isDirectory(CACHE.resolve("media")), "the mounts cached under " + CACHE);
        ok("dpkg -r " + PACKAGE);
        assertFalse(Files.exists(Path.of("/usr/bin/cloudmirror")));
        assertFalse(Files.exists(Path.of("/usr/share/cloudmirror")));
        assertTrue(Files.isDirectory(CACHE.resolve("media")), "a plain remove keeps the cache");
        assertTrue(Files.exists(CONFIG), "a plain remove keeps the configuration");

        ok("dpkg -P " + PACKAGE);
        for (String gone : List.of(CACHE.toString(), "/var/log/cloudmirror", "/etc/cloudmirror", UNIT.toString())) {
            assertFalse(Files.exists(Path.of(gone)), "purge removes " + gone);
        }
        assertFalse(installed());
    }

    // ---------------------------------------------------------------- helpers

    private static Sh.Result mountAt(Path mnt) throws Exception {
        Sh.Result r = Sh.bash("mount -t fuse.cloudmirror " + CONFIG + " '" + mnt + "' -o allow_other");
        assertEquals(0, r.exit(), r + logs());
        assertTrue(mounted(mnt), "mount returned 0 before the mount was live");
        return r;
    }

    /** Makes sure nothing is left of a mount on {@code mnt} (after a failed test): unmounts, kills its daemon. */
    private static void unmount(Path mnt) throws Exception {
        if (mounted(mnt)) {
            Sh.bash("umount -l '" + mnt + "'");
        }
        Sh.bash("pkill -9 -f -- '" + mnt + "( |$)' || true");
    }

    /** The pids of the daemon serving {@code mnt}, of fusermount's auto_unmount watcher and of the daemon's own. */
    private static long[] daemonAndWatcher(Path mnt) throws Exception {
        String daemon = Sh.bash("pgrep -f -- 'io.cloudmirror.cli.Main mount -f .* " + mnt + "( |$)'").out().strip();
        String watcher = Sh.bash("pgrep -f -- 'fusermount.* -- " + mnt + "$'").out().strip();
        String own = Sh.bash("pgrep -f -- 'cloudmirror-unmount-watch " + mnt + "$'").out().strip();
        assertTrue(daemon.matches("\\d+") && watcher.matches("\\d+") && own.matches("\\d+"), "one daemon (" + daemon
                + "), one fusermount watcher (" + watcher + ") and one unmount watcher (" + own + ") for " + mnt);
        return new long[] {Long.parseLong(daemon), Long.parseLong(watcher), Long.parseLong(own)};
    }

    private static String sums(Path dir) {
        return "cd '" + dir + "' && find . -type f -print0 | sort -z | xargs -0 sha256sum";
    }

    private static Map<String, String> parse(Sh.Result sums) {
        Map<String, String> out = new TreeMap<>();
        for (String line : sums.out().split("\n")) {
            if (line.length() > 66) {
                out.put(line.substring(66).replaceFirst("^\\./", ""), line.substring(0, 64));
            }
        }
        return out;
    }

    private interface Probe<T> {
        T get() throws Exception;
    }

    /** Waits until the tree read by {@code sums} is exactly the uploaded blobs. */
    private static void awaitTree(Probe<Sh.Result> sums) throws Exception {
        long deadline = System.nanoTime() + SERVE_TIMEOUT.toNanos();
        Sh.Result last = null;
        while (System.nanoTime() < deadline) {
            last = sums.get();
            if (last.exit() == 0 && parse(last).equals(EXPECTED)) {
                return;
            }
            Thread.sleep(250);
        }
        fail("the mount did not serve the uploaded blobs within " + SERVE_TIMEOUT + ": " + last + logs());
    }

    private static void awaitTrue(Probe<Boolean> condition, String message) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.get()) {
                return;
            }
            Thread.sleep(100);
        }
        fail(message + logs());
    }

    private static void awaitUnmounted(Path mnt) throws Exception {
        awaitTrue(() -> !mounted(mnt), mnt + " is still mounted");
    }

    /** Waits until {@code mnt} is unmounted and its daemon has exited. */
    private static void awaitGone(Path mnt) throws Exception {
        awaitTrue(() -> !mounted(mnt) && Sh.bash("pgrep -f -- 'io.cloudmirror.cli.Main mount -f .* " + mnt
                + "( |$)'").exit() != 0, "the mount or the daemon of " + mnt + " is still there");
    }

    private static boolean mounted(Path mnt) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .anyMatch(l -> l.split(" ")[4].equals(mnt.toString()) && l.contains(" - fuse.cloudmirror "));
    }

    private static boolean installed() throws Exception {
        return Sh.bash("dpkg-query -W -f='${Status}' " + PACKAGE + " 2>/dev/null").out().equals("install ok installed");
    }

    private static Sh.Result ok(String script) throws Exception {
        Sh.Result r = Sh.bash(script);
        assertEquals(0, r.exit(), script + "\n" + r);
        return r;
    }

    private static String logs() throws Exception {
        return "\n--- daemon logs\n" + Sh.bash("tail -n 30 /var/log/cloudmirror/*.log 2>&1").out();
    }
}
