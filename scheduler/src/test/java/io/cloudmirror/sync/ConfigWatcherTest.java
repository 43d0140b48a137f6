package io.cloudmirror.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cloudmirror.config.ConfigException;
import io.cloudmirror.config.ConfigLoader;
import io.cloudmirror.config.MirrorConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Edits made the way operators make them, through the real file system's notifications: {@code sed -i}
 * (which replaces the file by rename), several quick writes, a touch that changes nothing, a broken edit.
 */
class ConfigWatcherTest {

    private static final String YAML = """
            apiVersion: arccontainerstorage.azure.net/v1
            kind: MirrorSubvolume
            metadata:
              name: media
            spec:
              path: mirrorSubDir
              authentication:
                authType: ANONYMOUS
              blobAccount:
                accountEndpoint: "https://acct.blob.core.windows.net/"
                containerName: media
              schedule:
                frequency: "@hourly"
                oneshot: 3f2b8c1e-9d4a-4c6b-8e2f-1a2b3c4d5e6f
            """;

    @TempDir
    Path dir;

    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();

    @AfterEach
    void tearDown() {
        executor.shutdownNow();
    }

    private ConfigWatcher watch(Path source) throws Exception {
        ConfigLoader loader = new ConfigLoader(Map.<String, String>of()::get, dir.resolve("cache"));
        return ConfigWatcher.start(source, loader, SyncTimer.of(Clock.systemUTC(), executor), Duration.ofMillis(300),
                new ConfigWatcher.Listener() {
                    @Override
                    public void changed(MirrorConfig config) {
                        events.add(config);
                    }

                    @Override
                    public void invalid(ConfigException problems) {
                        events.add(problems);
                    }
                });
    }

    private Object next() throws InterruptedException {
        Object e = events.poll(20, TimeUnit.SECONDS);
        assertTrue(e != null, "no configuration event within 20 s");
        return e;
    }

    private static int bash(Path cwd, String script) throws Exception {
        Process p = new ProcessBuilder("bash", "-c", script).directory(cwd.toFile()).inheritIO().start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        return p.exitValue();
    }

    @Test
    void theDocumentedSedCommandIsSeenOnce() throws Exception {
        Path file = dir.resolve("mirrorSubvolume.yaml");
        Files.writeString(file, YAML, StandardCharsets.UTF_8);
        try (ConfigWatcher w = watch(file)) {
            assertEquals(0, bash(dir, "sed -i \"s/oneshot: .*/oneshot: $(uuidgen)/\" mirrorSubvolume.yaml"));
            MirrorConfig c = (MirrorConfig) next();
            String oneshot = c.subvolumes().get(0).schedule().oneshot();
            assertTrue(oneshot.matches("[0-9a-f-]{36}") && !oneshot.startsWith("3f2b8c1e"), oneshot);
            assertNull(events.poll(1, TimeUnit.SECONDS), "one rename, one event");
        }
    }

    @Test
    void aBurstOfWritesIsLoadedOnceAndATouchNotAtAll() throws Exception {
        Path file = dir.resolve("media.yaml");
        Files.writeString(file, YAML, StandardCharsets.UTF_8);
        try (ConfigWatcher w = watch(file)) {
            assertEquals(0, bash(dir, "touch media.yaml; echo '# a comment' >> media.yaml; "
                    + "sed -i 's/@hourly/@daily/' media.yaml; echo '# more' >> media.yaml"));
            MirrorConfig c = (MirrorConfig) next();
            assertEquals("@daily", c.subvolumes().get(0).schedule().frequency().expression());
            assertNull(events.poll(1, TimeUnit.SECONDS), "the burst is one edit");
            assertEquals(0, bash(dir, "touch media.yaml"));
            assertNull(events.poll(1, TimeUnit.SECONDS), "same bytes: nothing to apply");
        }
    }

    @Test
    void aBrokenEditIsReportedWithTheLoadersMessage() throws Exception {
        Path file = dir.resolve("media.yaml");
        Files.writeString(file, YAML, StandardCharsets.UTF_8);
        try (ConfigWatcher w = watch(file)) {
            assertEquals(0, bash(dir, "sed -i 's/\"@hourly\"/\"61 * * * *\"/' media.yaml"));
            ConfigException e = (ConfigException) next();
            assertTrue(e.getMessage().contains("media.yaml:13: spec.schedule.frequency"), e.getMessage());
            assertEquals(0, bash(dir, "sed -i 's/\"61 \\* \\* \\* \\*\"/\"@weekly\"/' media.yaml"));
            MirrorConfig c = (MirrorConfig) next();
            assertEquals("@weekly", c.subvolumes().get(0).schedule().frequency().expression());
        }
    }

    @Test
    void aDirectorySourceIsWatchedToo() throws Exception {
        Path confDir = Files.createDirectories(dir.resolve("conf.d"));
        Files.writeString(confDir.resolve("media.yaml"), YAML, StandardCharsets.UTF_8);
        try (ConfigWatcher w = watch(confDir)) {
            assertEquals(0, bash(confDir, "sed -i \"s/oneshot: .*/oneshot: $(uuidgen)/\" media.yaml"));
            assertTrue(next() instanceof MirrorConfig);
            assertEquals(0, bash(confDir, "echo ignored > notes.txt"));
            assertNull(events.poll(1, TimeUnit.SECONDS), "files other than YAML change nothing");
        }
    }
}
