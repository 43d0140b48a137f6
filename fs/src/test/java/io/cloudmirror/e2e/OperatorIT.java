package io.cloudmirror.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cloudmirror.control.ControlProtocol;
import io.cloudmirror.control.ControlProtocol.SubvolumeState;
import io.cloudmirror.origin.Azurite;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
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
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's side, end to end through the real launcher, the kernel and Azurite: a oneshot at mount,
 * the documented {@code sed} edit of {@code oneshot}, {@code cloudmirror status} and {@code sync}, the metrics
 * endpoint scraped with curl, and the link going down and up while the mount keeps serving.
 *
 * <p>Each test uses its own runtime directory ({@code CLOUDMIRROR_RUNTIME_DIR}), so daemons of other tests
 * on this machine are not seen.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperatorIT {

    @RegisterExtension
    static final Azurite AZURITE = new Azurite();

    private static final int BLOBS = 4000;
    /** The product document's command, exactly. */
    private static final String SED_ONESHOT = "sed -i \"s/oneshot: .*/oneshot: $(uuidgen)/\" media.yaml";

    @TempDir
    Path tmp;

    private String container;
    /** blob name -> content, as the container holds it now */
    private final Map<String, byte[]> blobs = new TreeMap<>();
    private Path runtime;
    private final Random random = new Random(7);

    @BeforeEach
    void upload(org.junit.jupiter.api.TestInfo info) throws Exception {
        container = "ops-" + info.getTestMethod().orElseThrow().getName().toLowerCase().replaceAll("[^a-z0-9]", "")
                .substring(0, 20);
        BlobContainerClient c = AZURITE.createContainer(container);
        for (int i = 0; i < BLOBS; i++) {
            byte[] b = new byte[random.nextInt(4096)];
            random.nextBytes(b);
            blobs.put(String.format("data/d%02d/f%04d.bin", i % 40, i), b);
        }
        put(c, blobs);
        runtime = Files.createDirectories(tmp.resolve("run"));
    }

    private static void put(BlobContainerClient c, Map<String, byte[]> toPut) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (Map.Entry<String, byte[]> e : toPut.entrySet()) {
                done.add(pool.submit(() -> c.getBlobClient(e.getKey()).upload(BinaryData.fromBytes(e.getValue()), true)));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
    }

    private Map<String, String> env() {
        return Map.of("CLOUDMIRROR_RUNTIME_DIR", runtime.toString());
    }

    /** {@code cloudmirror ARGS} as an operator types it. */
    private Sh.Result cli(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(MirrorMount.LAUNCHER.toString());
        cmd.addAll(List.of(args));
        return Sh.run(cmd, env(), tmp, Duration.ofMinutes(3));
    }

    private MirrorMount mount(Path dir, String... options) throws Exception {
        MirrorMount m = new MirrorMount(Files.createDirectories(dir)).writeConfig(AZURITE.endpoint().toString(),
                AZURITE.accountKey(), container, "NoIndexTags", "");
        Sh.Result r = m.mount(env(), options);
        assertEquals(0, r.exit(), r + "\nlog:\n" + m.logText());
        m.awaitFiles(blobs.size(), Duration.ofMinutes(2));
        return m;
    }

    private static List<SubvolumeState> states(Sh.Result r) throws Exception {
        assertEquals(0, r.exit(), r.toString());
        JsonNode items = new ObjectMapper().readTree(r.out()).get("items");
        List<SubvolumeState> out = new ArrayList<>();
        for (JsonNode n : items) {
            out.add(ControlProtocol.read(n.toString(), SubvolumeState.class));
        }
        return out;
    }

    private SubvolumeState status(String target) throws Exception {
        List<SubvolumeState> s = states(cli("status", target, "-o", "json"));
        assertEquals(1, s.size(), s.toString());
        return s.get(0);
    }

    /** Polls {@code status TARGET} until {@code until} holds. */
    private SubvolumeState awaitStatus(String target, Predicate<SubvolumeState> until, Duration timeout,
                                       MirrorMount m) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        SubvolumeState last = null;
        while (System.nanoTime() < deadline) {
            last = status(target);
            if (until.test(last)) {
                return last;
            }
            Thread.sleep(300);
        }
        fail("status never got there within " + timeout + "; last: " + last + "\nlog:\n" + m.logText());
        return null;
    }

    private static String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    /** blob name -> sha256, read through the kernel. */
    private static Map<String, String> tree(Path root) throws Exception {
        Sh.Result sums = Sh.bash(root, "find . -type f -print0 | sort -z | xargs -0 -r sha256sum");
        assertEquals(0, sums.exit(), sums.toString());
        Map<String, String> out = new TreeMap<>();
        for (String line : sums.out().split("\n")) {
            if (!line.isBlank()) {
                out.put(line.substring(66).replaceFirst("^\\./", ""), line.substring(0, 64));
            }
        }
        return out;
    }

    private Map<String, String> expectedTree() throws Exception {
        Map<String, String> out = new TreeMap<>();
        for (Map.Entry<String, byte[]> e : blobs.entrySet()) {
            out.put(e.getKey(), sha(e.getValue()));
        }
        return out;
    }

    private static String scrape(int port) throws Exception {
        Sh.Result r = Sh.bash("curl -sf http://127.0.0.1:" + port + "/metrics");
        assertEquals(0, r.exit(), "curl: " + r);
        return r.out();
    }

    /** Scrapes until {@code series} reaches {@code atLeast} (prefetch runs in the background), then once more. */
    private static String awaitMetric(int port, String series, double atLeast) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        String text = scrape(port);
        while (metric(text, series) < atLeast && System.nanoTime() < deadline) {
            Thread.sleep(200);
            text = scrape(port);
        }
        Thread.sleep(1000); // anything beyond would show now
        return scrape(port);
    }

    private static double metric(String text, String series) {
        Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(text);
        if (!m.find()) {
            return 0; // a counter not incremented yet is not exposed
        }
        return Double.parseDouble(m.group(1));
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** inode numbers by path below {@code root}. */
    private static Map<String, String> inodes(Path root) throws Exception {
        Sh.Result r = Sh.bash(root, "find . -type f -printf '%i %P\\n'");
        assertEquals(0, r.exit(), r.toString());
        Map<String, String> out = new TreeMap<>();
        for (String line : r.out().split("\n")) {
            if (!line.isBlank()) {
                int sp = line.indexOf(' ');
                out.put(line.substring(sp + 1), line.substring(0, sp));
            }
        }
        return out;
    }

    @Test
    @Order(1)
    void anEditedOneshotSyncsExactlyTheNewStateAndDownloadsOnlyWhatChanged() throws Exception {
        int port = freePort();
        try (MirrorMount m = mount(tmp.resolve("m"), "metrics=127.0.0.1:" + port)) {
            Path root = m.mountpoint.resolve("mirrorSubDir");
            assertEquals(expectedTree(), tree(root), "the oneshot at mount synced the whole tree");
            SubvolumeState s = status("media");
            assertEquals("Connected", s.backendConnection());
            assertEquals(1, s.generation());
            assertEquals(BLOBS, s.blobs());
            assertEquals(blobs.values().stream().mapToLong(b -> b.length).sum(), s.bytes());
            assertEquals(m.mountpoint.toString(), s.mountpoint());
            assertEquals(root.toString(), s.path());
            assertEquals("", s.lastError());
            Sh.Result table = cli("status");
            assertEquals(0, table.exit(), table.toString());
            assertTrue(table.out().startsWith("NAME    BACKENDCONNECTION   LASTSYNC"), table.out());
            assertTrue(table.out().lines().skip(1).findFirst().orElse("").matches(
                    "media   Connected +\\d+s ago +in \\S+ +4,000 +\\d+(\\.\\d)?Mi +\\d+(\\.\\d)?[KM]i +0 +<none>"),
                    table.out());
            Map<String, String> inodesBefore = inodes(root);

            // prefetch: all (the default) brings the whole tree into the block cache after the sync
            String before = awaitMetric(port, "cloudmirror_origin_read_bytes_total{subvolume=\"media\"}", s.bytes());
            assertEquals(1, metric(before, "cloudmirror_origin_requests_total{operation=\"list\",subvolume=\"media\"}"));
            double readBefore = metric(before, "cloudmirror_origin_read_bytes_total{subvolume=\"media\"}");
            assertEquals(s.bytes(), readBefore, "the tree was fetched once, by reads or prefetch, never twice");

            // 1% changed, some added, some deleted
            BlobContainerClient c = AZURITE.container(container);
            List<String> names = new ArrayList<>(blobs.keySet());
            Map<String, byte[]> changed = new TreeMap<>();
            for (int i = 0; i < BLOBS / 100; i++) {
                byte[] b = new byte[1 + random.nextInt(8192)];
                random.nextBytes(b);
                changed.put(names.get(i * 97), b);
            }
            for (int i = 0; i < 20; i++) {
                byte[] b = new byte[random.nextInt(4096)];
                random.nextBytes(b);
                changed.put("data/new/n" + i + ".bin", b);
            }
            put(c, changed);
            blobs.putAll(changed);
            List<String> deleted = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                String n = names.get(i * 97 + 13);
                c.getBlobClient(n).delete();
                blobs.remove(n);
                deleted.add(n);
            }

            Sh.Result sed = Sh.bash(m.dir, SED_ONESHOT);
            assertEquals(0, sed.exit(), sed.toString());
            String oneshot = Files.readAllLines(m.config).stream().filter(l -> l.strip().startsWith("oneshot:"))
                    .findFirst().orElseThrow().strip().substring("oneshot:".length()).strip();
            SubvolumeState after = awaitStatus("media", x -> x.generation() == 2 && !x.syncing(), Duration.ofMinutes(1), m);
            assertEquals(blobs.size(), after.blobs());
            assertEquals("", after.lastError());
            assertEquals(oneshot, Files.readString(m.cache.resolve("oneshot.applied")).strip(),
                    "the honoured oneshot is recorded, so a restart does not sync again");

            // the sync's prefetch downloads the new and changed blobs, and nothing else
            long changedBytes = changed.values().stream().mapToLong(b -> b.length).sum();
            String synced = awaitMetric(port, "cloudmirror_origin_read_bytes_total{subvolume=\"media\"}",
                    readBefore + changedBytes);
            assertEquals(2, metric(synced, "cloudmirror_origin_requests_total{operation=\"list\",subvolume=\"media\"}"),
                    "the edit caused exactly one listing");
            assertEquals(readBefore + changedBytes, metric(synced, "cloudmirror_origin_read_bytes_total{subvolume=\"media\"}"),
                    "the sync downloaded exactly the new and changed bytes");
            assertEquals(1, metric(before, "cloudmirror_syncs_total{result=\"success\",subvolume=\"media\"}"));
            assertEquals(2, metric(synced, "cloudmirror_syncs_total{result=\"success\",subvolume=\"media\"}"));

            // reading what changed is served from the block cache: nothing more is fetched
            for (Map.Entry<String, byte[]> e : changed.entrySet()) {
                assertTrue(java.util.Arrays.equals(e.getValue(), Files.readAllBytes(root.resolve(e.getKey()))),
                        e.getKey());
            }
            assertEquals(readBefore + changedBytes,
                    metric(scrape(port), "cloudmirror_origin_read_bytes_total{subvolume=\"media\"}"),
                    "reading the changed and added files fetched nothing more");

            assertEquals(expectedTree(), tree(root), "the mount shows exactly the new state");
            for (String d : deleted) {
                assertFalse(Files.exists(root.resolve(d)), d);
            }
            Map<String, String> inodesAfter = inodes(root);
            for (Map.Entry<String, String> e : inodesBefore.entrySet()) {
                if (blobs.containsKey(e.getKey())) {
                    assertEquals(e.getValue(), inodesAfter.get(e.getKey()), "inode of " + e.getKey() + " is stable");
                }
            }

            String metrics = scrape(port);
            for (String name : List.of("cloudmirror_sync_duration_seconds_bucket", "cloudmirror_syncs_total",
                    "cloudmirror_blobs", "cloudmirror_bytes", "cloudmirror_skipped_blobs", "cloudmirror_cache_bytes",
                    "cloudmirror_cache_hits_total", "cloudmirror_cache_misses_total",
                    "cloudmirror_origin_requests_total", "cloudmirror_origin_read_bytes_total",
                    "cloudmirror_read_duration_seconds_bucket", "cloudmirror_backend_connection")) {
                assertTrue(Pattern.compile("^" + name + "[{ ]", Pattern.MULTILINE).matcher(metrics).find()
                        || metrics.contains("# TYPE " + name.replace("_bucket", "").replace("_total", "") + " "),
                        name + " missing from\n" + metrics);
            }
            assertEquals(blobs.size(), metric(metrics, "cloudmirror_blobs{subvolume=\"media\"}"));
            assertTrue(metric(metrics, "cloudmirror_read_duration_seconds_count{subvolume=\"media\"}") > 0);
            assertFalse(metrics.contains(AZURITE.accountKey()) || metrics.contains(container),
                    "no secrets or origin names in the metrics");
        }
    }

    @Test
    @Order(2)
    void syncCommandWaitsWithProgressOrNotAndRefusesAmbiguity() throws Exception {
        try (MirrorMount m = mount(tmp.resolve("m"))) {
            // on a terminal (script gives it one): progress, then the result
            Sh.Result tty = Sh.run(List.of("script", "-qec", MirrorMount.LAUNCHER + " sync", "/dev/null"), env(), tmp,
                    Duration.ofMinutes(3));
            assertEquals(0, tty.exit(), tty.toString());
            assertTrue(tty.out().matches("(?s).*media: (starting|listing|publishing).*"),
                    "progress shown on a terminal: " + tty.out());
            assertTrue(tty.out().contains("\r\033[K"), "rewritten in place");
            assertTrue(tty.out().contains("media: generation 2 published in "), tty.out());
            assertTrue(tty.out().contains("4,000 files") && tty.out().contains("0 added, 0 changed, 0 removed"),
                    tty.out());

            // not on a terminal: the result only
            Sh.Result plain = cli("sync", m.mountpoint.toString());
            assertEquals(0, plain.exit(), plain.toString());
            assertTrue(plain.out().startsWith("media: generation 3 published in "), plain.out());
            assertFalse(plain.err().contains("listing"), plain.err());

            Sh.Result noWait = cli("sync", "media", "--no-wait");
            assertEquals(0, noWait.exit(), noWait.toString());
            assertEquals("sync requested: media on " + m.mountpoint + "\n", noWait.out());
            awaitStatus("media", x -> x.generation() == 4 && !x.syncing(), Duration.ofMinutes(1), m);

            Sh.Result unknown = cli("sync", "nosuch");
            assertEquals(1, unknown.exit(), unknown.toString());
            assertTrue(unknown.err().contains("no running daemon serves a subvolume or mount point \"nosuch\"; "
                    + "running: media (" + m.mountpoint + ")"), unknown.err());

            try (MirrorMount second = mount(tmp.resolve("second"))) {
                Sh.Result ambiguous = cli("sync");
                assertEquals(2, ambiguous.exit(), ambiguous.toString());
                assertTrue(ambiguous.err().contains("2 mounts are running"), ambiguous.err());
                Sh.Result named = cli("sync", "media");
                assertEquals(2, named.exit(), "two mounts serve a subvolume named media: " + named);
                Sh.Result byPath = cli("sync", second.mountpoint.resolve("mirrorSubDir/data").toString());
                assertEquals(0, byPath.exit(), byPath.toString());
                assertEquals(2, states(cli("status", "-o", "json")).size(), "status shows both mounts");
            }
            // the second daemon is gone (unmounted, or killed before it could remove its socket): passed over
            assertEquals(1, states(cli("status", "-o", "json")).size(), "a killed daemon's stale socket is passed over");
            Sh.Result umount = Sh.bash("umount '" + m.mountpoint + "'");
            assertEquals(0, umount.exit(), umount.toString());
            m.awaitGone(Duration.ofSeconds(60));
            assertFalse(Files.exists(io.cloudmirror.control.ControlSockets.of(runtime, m.mountpoint)),
                    "an orderly stop removes the socket");
        }
        Sh.Result none = cli("status");
        assertEquals(1, none.exit(), none.toString());
        assertTrue(none.err().startsWith("cloudmirror: no cloudmirror daemon is running (no control socket in "
                + runtime + " answers)"), none.err());
    }

    @Test
    @Order(3)
    void statusFollowsTheLinkWhileTheMountKeepsServing() throws Exception {
        try (MirrorMount m = mount(tmp.resolve("m"))) {
            Path root = m.mountpoint.resolve("mirrorSubDir");
            assertEquals("Connected", status("media").backendConnection());
            AZURITE.stop();
            try {
                SubvolumeState down = awaitStatus("media", x -> x.backendConnection().equals("Disconnected"),
                        Duration.ofMinutes(1), m);
                assertFalse(down.connectionDetail().isEmpty(), "with the reason");
                Sh.Result table = cli("status", m.mountpoint.toString());
                assertTrue(table.out().contains("Disconnected"), table.out());

                Sh.Result ls = Sh.bash("ls -lR '" + root + "' | grep -c '^-r--r--r--'");
                assertEquals(Integer.toString(BLOBS), ls.out().strip(), "the tree is listed offline: " + ls);
                Sh.Result stat = Sh.bash("stat -c %s '" + root.resolve("data/d02/f0002.bin") + "'");
                assertEquals(Integer.toString(blobs.get("data/d02/f0002.bin").length), stat.out().strip());

                Sh.Result sync = cli("sync", "media");
                assertEquals(1, sync.exit(), "a sync that cannot reach the cloud fails: " + sync);
                assertTrue(sync.err().contains("media: sync failed after "), sync.err());
                assertEquals(1, status("media").generation(), "the published tree stays");
                // without a block cache (issue 5) file bytes come from the cloud: an uncached read fails, quickly
                long t0 = System.nanoTime();
                Sh.Result read = Sh.bash("cat '" + root.resolve("data/d03/f0003.bin") + "' > /dev/null");
                assertEquals(1, read.exit(), read.toString());
                assertTrue(read.err().contains("Input/output error"), read.err());
                assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(60).toNanos(), "and does not hang");
            } finally {
                AZURITE.start();
            }
            awaitStatus("media", x -> x.backendConnection().equals("Connected"), Duration.ofMinutes(1), m);
            Sh.Result sync = cli("sync", "media");
            assertEquals(0, sync.exit(), "back online: " + sync);
            assertNotEquals(1, status("media").generation());
        }
    }

    @Test
    @Order(4)
    void configEditsApplyLiveOrAreReported() throws Exception {
        try (MirrorMount m = mount(tmp.resolve("m"))) {
            String yaml = Files.readString(m.config, StandardCharsets.UTF_8);
            Files.writeString(m.config, yaml.replace("frequency: \"@hourly\"", "frequency: \"*/5 * * * *\""));
            SubvolumeState s = awaitStatus("media", x -> "*/5 * * * *".equals(x.frequency()), Duration.ofSeconds(30), m);
            assertEquals("", s.configIssue(), "a new frequency applies live");

            Sh.Result bad = Sh.bash(m.dir, "sed -i 's|frequency: .*|frequency: \"61 * * * *\"|' media.yaml");
            assertEquals(0, bad.exit(), bad.toString());
            s = awaitStatus("media", x -> !x.configIssue().isEmpty(), Duration.ofSeconds(30), m);
            assertTrue(s.configIssue().startsWith("configuration edit ignored: " + m.config + ":"), s.configIssue());
            assertTrue(s.configIssue().contains("spec.schedule.frequency: \"61 * * * *\" is not a valid schedule"),
                    s.configIssue());
            assertEquals("*/5 * * * *", s.frequency(), "the running configuration stays");

            Files.writeString(m.config, yaml.replace("containerName: " + container, "containerName: elsewhere"));
            s = awaitStatus("media", x -> x.configIssue().startsWith("needs remount"), Duration.ofSeconds(30), m);
            assertEquals("needs remount: spec.blobAccount.containerName changed", s.configIssue());
            assertEquals("@hourly", s.frequency(), "what is live applies along");
            Sh.Result table = cli("status");
            assertTrue(table.out().contains("needs remount: spec.blobAccount.containerName changed"), table.out());
            assertTrue(m.logText().contains("needs a remount"), "and in the log");
            assertEquals(BLOBS, status("media").blobs(), "still serving the running configuration");
        }
    }
}
