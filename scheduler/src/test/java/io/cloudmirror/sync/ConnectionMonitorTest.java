package io.cloudmirror.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cloudmirror.index.IndexStore;
import io.cloudmirror.origin.BackendConnection;
import io.cloudmirror.origin.InMemoryOrigin;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Probing keeps BACKENDCONNECTION true when nobody syncs; time and probe threads are the test's. */
class ConnectionMonitorTest {

    private static final Instant T0 = Instant.parse("2026-03-10T10:15:00Z");

    @TempDir
    Path tmp;

    private final ManualTimer timer = new ManualTimer(T0);
    private final ArrayDeque<Runnable> probes = new ArrayDeque<>();
    private final InMemoryOrigin origin = new InMemoryOrigin(timer.clock(), false);
    private IndexStore index;
    private Syncer syncer;
    private ConnectionMonitor monitor;

    @BeforeEach
    void setUp() throws Exception {
        origin.put("a.txt", "a");
        index = IndexStore.open(tmp, "vol");
        syncer = new Syncer("vol", origin, "", index, timer.clock());
        monitor = new ConnectionMonitor("vol", origin, syncer, timer, probes::add, Duration.ofSeconds(30));
    }

    @AfterEach
    void tearDown() {
        monitor.close();
        index.close();
    }

    private int runProbes() {
        int n = 0;
        while (!probes.isEmpty()) {
            probes.poll().run();
            n++;
        }
        return n;
    }

    @Test
    void probesAtStartThenEveryInterval() {
        monitor.start();
        timer.advanceTo(T0);
        assertEquals(1, runProbes(), "a probe at start");
        assertEquals(BackendConnection.CONNECTED, syncer.status().connection());
        assertEquals(List.of(T0.plusSeconds(30)), timer.pending());

        origin.setState(BackendConnection.DISCONNECTED);
        timer.advanceTo(T0.plusSeconds(29));
        assertEquals(0, runProbes());
        timer.advanceTo(T0.plusSeconds(30));
        assertEquals(1, runProbes());
        SyncStatus s = syncer.status();
        assertEquals(BackendConnection.DISCONNECTED, s.connection(), "the probe result is what status shows");
        assertFalse(s.connectionDetail().isEmpty(), "with the reason");
        assertEquals("", s.lastError(), "a probe is not a sync: the last sync error stays as it was");
        assertEquals(T0.plusSeconds(30), s.connectionAt().orElseThrow());

        origin.setState(BackendConnection.UNAUTHORIZED);
        timer.advanceTo(T0.plusSeconds(60));
        runProbes();
        assertEquals(BackendConnection.UNAUTHORIZED, syncer.status().connection());
        origin.setState(BackendConnection.CONNECTED);
        timer.advanceTo(T0.plusSeconds(90));
        runProbes();
        assertEquals(BackendConnection.CONNECTED, syncer.status().connection());
        assertEquals("", syncer.status().connectionDetail());
    }

    @Test
    void aRecentSyncSparesTheProbe() throws Exception {
        monitor.start();
        timer.advanceTo(T0);
        runProbes();
        timer.advanceTo(T0.plusSeconds(20));
        syncer.syncNow();
        timer.advanceTo(T0.plusSeconds(30));
        assertEquals(0, runProbes(), "the sync 10 s ago spoke for the link");
        assertEquals(List.of(T0.plusSeconds(50)), timer.pending(), "next look: an interval after the sync");
        timer.advanceTo(T0.plusSeconds(50));
        assertEquals(1, runProbes());
    }

    @Test
    void statusAsksForAFreshProbeOnlyWhenTheLastWordIsOld() {
        CompletableFuture<SyncStatus> first = monitor.fresh(Duration.ofSeconds(5));
        assertFalse(first.isDone(), "never probed: a probe is started");
        CompletableFuture<SyncStatus> second = monitor.fresh(Duration.ofSeconds(5));
        assertEquals(1, probes.size(), "concurrent requests share one probe");
        runProbes();
        assertTrue(first.isDone() && second.isDone());
        assertEquals(BackendConnection.CONNECTED, first.join().connection());

        timer.advanceTo(T0.plusSeconds(4));
        assertTrue(monitor.fresh(Duration.ofSeconds(5)).isDone(), "4 s old is fresh enough");
        assertEquals(0, probes.size());
        origin.setState(BackendConnection.NOT_FOUND);
        timer.advanceTo(T0.plusSeconds(6));
        CompletableFuture<SyncStatus> third = monitor.fresh(Duration.ofSeconds(5));
        assertFalse(third.isDone());
        runProbes();
        assertEquals(BackendConnection.NOT_FOUND, third.join().connection());
    }
}
