package io.cloudmirror.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import io.cloudmirror.control.ControlProtocol.SubvolumeState;
import io.cloudmirror.origin.Azurite;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILL of the daemon (the real launcher, Azurite, the kernel) during a sync's listing, around its publish,
 * and during the prefetch that follows, at random moments, round after round while the container churns.
 * After every kill the mount is made again (without syncing) and must serve one whole generation: exactly the
 * tree of the last published listing, or of the one the killed sync was building; every byte read through the
 * kernel equals that version of the blob (by SHA-256), or the read fails with ESTALE because the cloud no
 * longer holds that version and it was not cached. A final sync must then bring the current container, whole.
 */
class CrashIT {

    @RegisterExtension
    static final Azurite AZURITE = new Azurite();

    private static final int SMALL = 300;
    private static final int LARGE = 4;
    private static final int ROUNDS = 9;

    /** Where the kill was aimed: the listing, the publish at its end, the prefetch after it. */
    enum Target { LISTING, PUBLISH, PREFETCH }

    /** Where the kill landed, as the log tells. */
    enum Landed { BEFORE_PUBLISH, DURING_PREFETCH, AFTER_PREFETCH }

    @TempDir
    Path tmp;

    private final Random random = new Random(Long.getLong("cloudmirror.crash.seed", 9090));
    private final Map<String, byte[]> cloud = new TreeMap<>();

    @Test
    void everyKillLeavesAWholeGenerationWithRightBytes() throws Exception {
        BlobContainerClient c = AZURITE.createContainer("crash");
        Map<String, byte[]> initial = new TreeMap<>();
        for (int i = 0; i < SMALL; i++) {
            initial.put(String.format("d%02d/f%04d.bin", i % 17, i), bytes(random.nextInt(6000)));
        }
        for (int i = 0; i < LARGE; i++) {
            initial.put("large/l" + i + ".bin", bytes(2 * 1024 * 1024 + random.nextInt(1 << 20)));
        }
        put(c, initial, List.of());

        Cli cli = new Cli(tmp);
        Map<Landed, Integer> landed = new EnumMap<>(Landed.class);
        try (MirrorMount m = new MirrorMount(tmp).writeConfig(AZURITE.endpoint().toString(), AZURITE.accountKey(),
                "crash", "NoIndexTags", "")) {
            rewrite(m, "frequency: \"@hourly\"", "frequency: never");
            mount(m, cli);
            SubvolumeState s = cli.await(x -> x.generation() >= 1, Duration.ofMinutes(2), m);
            awaitLog(m, 0, "prefetch pass done", Duration.ofMinutes(2));
            Map<Long, Map<String, byte[]>> generations = new TreeMap<>();
            generations.put(s.generation(), new TreeMap<>(cloud));
            long published = s.generation();
            verify(m, generations.get(published));

            for (int round = 0; round < ROUNDS; round++) {
                Target target = Target.values()[round % 3];
                churn(c);
                Map<String, byte[]> next = new TreeMap<>(cloud);
                long listingMs = Math.max(20, syncMillis(m.logText()));
                long pid = m.daemonPid();
                assertTrue(pid > 0, "daemon pid");
                long from = Files.size(m.log);
                rewrite(m, "oneshot: .*", "oneshot: " + UUID.randomUUID());
                awaitLog(m, from, "sync started", Duration.ofSeconds(30));
                if (target == Target.LISTING) {
                    Thread.sleep(random.nextInt((int) Math.max(1, listingMs / 3)));
                } else if (target == Target.PUBLISH) {
                    Thread.sleep(listingMs * (70 + random.nextInt(60)) / 100);
                } else {
                    awaitLog(m, from, "published index generation", Duration.ofSeconds(60));
                    Thread.sleep(random.nextInt(150));
                }
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                m.awaitGone(Duration.ofSeconds(30));
                String after = m.logText().substring((int) Math.min(from, m.logText().length()));
                int pub = after.indexOf("published index generation");
                Landed where = pub < 0 ? Landed.BEFORE_PUBLISH
                        : after.indexOf("prefetch pass done", pub) > 0 ? Landed.AFTER_PREFETCH : Landed.DURING_PREFETCH;
                landed.merge(where, 1, Integer::sum);
                System.out.printf("round %d: aimed at %s (a sync takes ~%d ms to publish), landed %s%n", round, target,
                        listingMs, where);

                rewrite(m, "oneshot: .*", "oneshot: \"\"");
                mount(m, cli);
                SubvolumeState r = cli.status();
                assertTrue(r.generation() == published || r.generation() == published + 1,
                        "round " + round + ": serving generation " + r.generation() + " after " + published);
                if (r.generation() == published + 1) {
                    generations.put(r.generation(), next);
                    published = r.generation();
                }
                verify(m, generations.get(published));
            }

            // A sync after all that brings the current container, whole and exact.
            long from = Files.size(m.log);
            rewrite(m, "oneshot: .*", "oneshot: " + UUID.randomUUID());
            awaitLog(m, from, "sync finished", Duration.ofMinutes(1));
            verify(m, cloud);
        }
        System.out.println("kills landed: " + landed);
        assertTrue(landed.getOrDefault(Landed.BEFORE_PUBLISH, 0) > 0, "some kills hit a sync before publish: " + landed);
        assertTrue(landed.getOrDefault(Landed.DURING_PREFETCH, 0) > 0, "some kills hit a prefetch: " + landed);
    }

    private void mount(MirrorMount m, Cli cli) throws Exception {
        Sh.Result r = m.mount(cli.env());
        assertEquals(0, r.exit(), r + "\nlog:\n" + m.logText());
    }

    /** Overwrites, adds and deletes some small blobs and overwrites two large ones. */
    private void churn(BlobContainerClient c) throws Exception {
        Map<String, byte[]> puts = new TreeMap<>();
        List<String> names = new ArrayList<>(cloud.keySet());
        List<String> deletes = new ArrayList<>();
        for (int i = 0; i < 15; i++) {
            String n = names.get(random.nextInt(names.size()));
            if (n.startsWith("large/")) {
                continue;
            }
            if (i % 3 == 0) {
                deletes.add(n);
            } else {
                puts.put(n, bytes(random.nextInt(6000)));
            }
        }
        for (int i = 0; i < 10; i++) {
            puts.put(String.format("new/n%06d.bin", random.nextInt(1_000_000)), bytes(random.nextInt(3000)));
        }
        for (int i = 0; i < 2; i++) {
            puts.put("large/l" + random.nextInt(LARGE) + ".bin", bytes(2 * 1024 * 1024 + random.nextInt(1 << 20)));
        }
        deletes.removeAll(puts.keySet());
        put(c, puts, deletes);
    }

    private void put(BlobContainerClient c, Map<String, byte[]> puts, List<String> deletes) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (Map.Entry<String, byte[]> e : puts.entrySet()) {
                done.add(pool.submit(() -> c.getBlobClient(e.getKey()).upload(BinaryData.fromBytes(e.getValue()), true)));
            }
            for (String d : deletes) {
                done.add(pool.submit(() -> c.getBlobClient(d).delete()));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        cloud.putAll(puts);
        deletes.forEach(cloud::remove);
    }

    /**
     * The tree through the kernel is exactly {@code generation}'s names; every file's bytes are its version's,
     * or the read fails with ESTALE because the cloud no longer holds that version.
     */
    private void verify(MirrorMount m, Map<String, byte[]> generation) throws Exception {
        Path root = m.mountpoint.resolve("mirrorSubDir");
        List<String> seen = new ArrayList<>();
        int stale = 0;
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (!Files.isRegularFile(p)) {
                    continue;
                }
                String name = root.relativize(p).toString();
                seen.add(name);
                byte[] want = generation.get(name);
                if (want == null) {
                    continue;
                }
                try {
                    assertEquals(sha(want), sha(Files.readAllBytes(p)), "bytes of " + name);
                } catch (IOException e) {
                    boolean gone = !java.util.Arrays.equals(want, cloud.get(name));
                    if (!gone || !String.valueOf(e.getMessage()).contains("Stale file handle")) {
                        fail("reading " + name + ": " + e + "\nlog:\n" + m.logText());
                    }
                    stale++;
                }
            }
        }
        assertEquals(generation.keySet().stream().sorted().toList(), seen.stream().sorted().toList(),
                "the served tree is one whole generation");
        if (stale > 0) {
            System.out.println("  " + stale + " reads of versions gone from the cloud and not cached: ESTALE");
        }
    }

    /** Milliseconds the last sync that published took from its start to its publish, from the log's timestamps. */
    private static long syncMillis(String log) {
        java.time.Instant start = null;
        long last = 300;
        for (String line : log.split("\n")) {
            if (line.contains("sync started")) {
                start = java.time.Instant.parse(line.substring(0, line.indexOf(' ')));
            } else if (line.contains("published index generation") && start != null) {
                last = Duration.between(start, java.time.Instant.parse(line.substring(0, line.indexOf(' ')))).toMillis();
                start = null;
            }
        }
        return last;
    }

    private static void awaitLog(MirrorMount m, long from, String text, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            String log = m.logText();
            if (log.length() > from && log.substring((int) from).contains(text)) {
                return;
            }
            Thread.sleep(5);
        }
        fail("the log never said \"" + text + "\" within " + timeout + ":\n" + m.logText());
    }

    private static void rewrite(MirrorMount m, String regex, String replacement) throws IOException {
        String yaml = Files.readString(m.config, StandardCharsets.UTF_8);
        Path t = m.config.resolveSibling("media.yaml.tmp");
        Files.writeString(t, yaml.replaceFirst(regex, replacement), StandardCharsets.UTF_8);
        Files.move(t, m.config, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
