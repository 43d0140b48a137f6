package io.cloudmirror.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILL at random moments while generations are built and published: every reopen finds one whole
 * generation (the last published, or the one before), never a mix, and the directory holds no leftovers.
 */
class IndexCrashIT {

    @TempDir
    Path tmp;

    @Test
    void killedWriterLeavesAWholeGeneration() throws Exception {
        Random random = new Random(20240601);
        long lastSeen = 0;
        for (int round = 0; round < 12; round++) {
            CountDownLatch published = new CountDownLatch(1);
            Process writer = startWriter(published);
            Thread.sleep(200 + random.nextInt(2500));
            if (round == 11 && lastSeen == 0) {
                // A loaded machine may never have let the writer publish before the kill: the last round waits.
                assertTrue(published.await(120, TimeUnit.SECONDS), "the writer published within 120 s");
            }
            writer.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            try (IndexStore store = IndexStore.open(tmp, "crash")) {
                Generation g = store.acquire();
                try {
                    long n = g.number();
                    assertTrue(n >= lastSeen, "generations never go back: " + n + " < " + lastSeen);
                    lastSeen = n;
                    if (n > 0) {
                        checkWhole(g);
                    }
                } finally {
                    g.release();
                }
                try (var entries = Files.list(tmp)) {
                    assertEquals(n(store) > 0 ? 1 : 0, entries.filter(p -> p.getFileName().toString().startsWith("gen-")).count(),
                            "only the published generation is left after open");
                }
            }
        }
        assertTrue(lastSeen > 0, "the writer published at least once in 12 rounds");
    }

    private static long n(IndexStore store) {
        return store.currentStats().number();
    }

    private static void checkWhole(Generation g) {
        long n = g.number();
        int files = CrashWriter.files(n);
        assertEquals(files, g.stats().files(), "stats of generation " + n);
        long[] seen = {0};
        Node root = g.lookup("");
        assertEquals(13, root.childCount());
        g.forEachChild(root, 0, (slot, dir) -> {
            Node d = g.lookup(dir.name());
            g.forEachChild(d, 0, (s, f) -> {
                Node file = g.lookup(dir.name() + "/" + f.name());
                assertNotNull(file);
                int i = Integer.parseInt(f.name().substring(1));
                assertEquals(n + "-" + i, file.etag(), "every file of generation " + n + " has its ETag");
                seen[0]++;
                return true;
            });
            return true;
        });
        assertEquals(files, seen[0], "the tree of generation " + n + " is complete");
    }

    private Process startWriter(CountDownLatch published) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-") || a.startsWith("-D")).toList());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(CrashWriter.class.getName());
        cmd.add(tmp.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()));
        String line;
        while ((line = r.readLine()) != null && !line.equals("ready")) {
            // wait until the writer has opened the store
        }
        Thread drain = new Thread(() -> {
            try {
                for (String l = r.readLine(); l != null; l = r.readLine()) {
                    if (l.startsWith("published ")) {
                        published.countDown();
                    }
                }
            } catch (java.io.IOException ignored) {
                // the process was killed
            }
        });
        drain.setDaemon(true);
        drain.start();
        return p;
    }
}
