package io.cloudmirror.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cloudmirror.config.Frequency;
import io.cloudmirror.index.GenerationStats;
import io.cloudmirror.index.IndexStore;
import io.cloudmirror.origin.BackendConnection;
import io.cloudmirror.origin.InMemoryOrigin;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Schedules, triggers, coalescing and retries, with time and threads fully in the test's hands. */
class SyncSchedulerTest {

    private static final Instant T0 = Instant.parse("2026-03-10T10:15:00Z");

    @TempDir
    Path tmp;

    private final ManualTimer timer = new ManualTimer(T0);
    private final ArrayDeque<Runnable> queued = new ArrayDeque<>();
    private final Executor runner = queued::add;
    private final InMemoryOrigin origin = new InMemoryOrigin(timer.clock(), false);
    private IndexStore index;
    private Syncer syncer;

    @BeforeEach
    void setUp() throws Exception {
        origin.put("a.txt", "a");
        index = IndexStore.open(tmp, "vol");
        syncer = new Syncer("vol", origin, "", index, timer.clock());
    }

    @AfterEach
    void tearDown() {
        index.close();
    }

    private SyncScheduler scheduler(String frequency) {
        return new SyncScheduler("vol", syncer, Frequency.parse(frequency), timer, runner, Backoff.DEFAULT);
    }

    /** Runs every queued sync (and any follow-up they queue). Returns how many ran. */
    private int runSyncs() {
        int n = 0;
        while (!queued.isEmpty()) {
            queued.poll().run();
            n++;
        }
        return n;
    }

    private long generation() {
        return index.currentStats().number();
    }

    @Test
    void followsAnHourlyScheduleInUtc() {
        SyncScheduler s = scheduler("@hourly");
        s.start();
        assertEquals(Optional.of(Instant.parse("2026-03-10T11:00:00Z")), s.nextSync());
        assertEquals(0, runSyncs(), "nothing runs before the schedule");
        timer.advanceTo(Instant.parse("2026-03-10T10:59:59Z"));
        assertEquals(0, runSyncs());
        timer.advanceTo(Instant.parse("2026-03-10T11:00:00Z"));
        assertEquals(1, runSyncs());
        assertEquals(1, generation());
        assertEquals(Optional.of(Instant.parse("2026-03-10T12:00:00Z")), s.nextSync());
        timer.advanceTo(Instant.parse("2026-03-10T14:30:00Z"));
        assertEquals(1, runSyncs(), "missed runs while the sync queue was idle collapse into one");
        assertEquals(Optional.of(Instant.parse("2026-03-10T15:00:00Z")), s.nextSync());
    }

    @Test
    void cronExpressionsAndNever() {
        SyncScheduler s = scheduler("*/20 2-3 * * 1-5");
        s.start();
        assertEquals(Optional.of(Instant.parse("2026-03-11T02:00:00Z")), s.nextSync(), "Tuesday 10:15 -> Wednesday 02:00");
        timer.advanceTo(Instant.parse("2026-03-11T02:00:00Z"));
        runSyncs();
        assertEquals(Optional.of(Instant.parse("2026-03-11T02:20:00Z")), s.nextSync());

        SyncScheduler never = scheduler("never");
        never.start();
        assertEquals(Optional.empty(), never.nextSync());
    }

    @Test
    void missedScheduleIsDetectedForCatchUp() {
        Frequency hourly = Frequency.parse("@hourly");
        assertTrue(SyncScheduler.missedSchedule(hourly, Instant.parse("2026-03-10T08:05:00Z"), T0));
        assertFalse(SyncScheduler.missedSchedule(hourly, Instant.parse("2026-03-10T10:05:00Z"), T0));
        assertFalse(SyncScheduler.missedSchedule(Frequency.parse("never"), Instant.EPOCH, T0));
        assertTrue(SyncScheduler.missedSchedule(Frequency.parse("@daily"), Instant.parse("2026-03-09T23:59:00Z"), T0));
    }

    @Test
    void triggersDuringASyncCoalesceIntoOneFollowUp() throws Exception {
        SyncScheduler s = scheduler("@daily");
        s.start();
        CompletableFuture<GenerationStats> first = s.trigger(SyncScheduler.Reason.ONESHOT);
        assertEquals(1, queued.size(), "the first trigger starts a sync");
        CompletableFuture<GenerationStats> a = s.trigger(SyncScheduler.Reason.REQUEST);
        CompletableFuture<GenerationStats> b = s.trigger(SyncScheduler.Reason.REQUEST);
        CompletableFuture<GenerationStats> c = s.trigger(SyncScheduler.Reason.ONESHOT);
        assertTrue(a == b && b == c, "triggers during a sync share one follow-up");
        assertEquals(Optional.empty(), s.nextSync(), "no schedule while syncs are pending");
        origin.put("b.txt", "b");
        queued.poll().run();
        assertEquals(1, first.get().number());
        assertFalse(a.isDone(), "the follow-up has not run yet");
        assertEquals(1, queued.size(), "exactly one follow-up queued");
        queued.poll().run();
        assertEquals(2, a.get().number());
        assertEquals(2, a.get().files(), "the follow-up saw the change made during the first sync");
        assertTrue(queued.isEmpty());
        assertEquals(Optional.of(Instant.parse("2026-03-11T00:00:00Z")), s.nextSync(), "the schedule resumes");
    }

    @Test
    void failuresRetryWithGrowingBackoffThenTheScheduleResumes() {
        SyncScheduler s = scheduler("@daily");
        s.start();
        origin.setState(BackendConnection.DISCONNECTED);
        CompletableFuture<GenerationStats> f = s.trigger(SyncScheduler.Reason.REQUEST);
        runSyncs();
        assertTrue(f.isCompletedExceptionally());
        assertEquals(1, s.failures());
        assertEquals(Optional.of(T0.plus(Duration.ofSeconds(30))), s.nextSync());
        assertEquals(Optional.of(SyncScheduler.Reason.RETRY), s.nextReason());
        timer.advanceTo(T0.plusSeconds(30));
        runSyncs();
        assertEquals(2, s.failures());
        assertEquals(Optional.of(T0.plusSeconds(30 + 60)), s.nextSync());
        assertEquals(BackendConnection.DISCONNECTED, syncer.status().connection());
        assertEquals(0, generation(), "failed syncs publish nothing");

        origin.setState(BackendConnection.CONNECTED);
        timer.advanceTo(T0.plusSeconds(90));
        runSyncs();
        assertEquals(0, s.failures());
        assertEquals(1, generation());
        assertEquals(Optional.of(Instant.parse("2026-03-11T00:00:00Z")), s.nextSync());
    }

    @Test
    void backoffNeverPostponesTheNextScheduledSync() {
        Backoff slow = new Backoff(Duration.ofHours(2), Duration.ofHours(8), 2);
        SyncScheduler s = new SyncScheduler("vol", syncer, Frequency.parse("@hourly"), timer, runner, slow);
        s.start();
        origin.setState(BackendConnection.UNAUTHORIZED);
        s.trigger(SyncScheduler.Reason.REQUEST);
        runSyncs();
        assertEquals(Optional.of(Instant.parse("2026-03-10T11:00:00Z")), s.nextSync());
        assertEquals(Optional.of(SyncScheduler.Reason.SCHEDULE), s.nextReason());
        assertEquals(BackendConnection.UNAUTHORIZED, syncer.status().connection());
    }

    @Test
    void frequencyChangesReschedule() {
        SyncScheduler s = scheduler("@daily");
        s.start();
        assertEquals(Optional.of(Instant.parse("2026-03-11T00:00:00Z")), s.nextSync());
        s.setFrequency(Frequency.parse("30 * * * *"));
        assertEquals(Optional.of(Instant.parse("2026-03-10T10:30:00Z")), s.nextSync());
        assertEquals(List.of(Instant.parse("2026-03-10T10:30:00Z")), timer.pending(), "the old timer was cancelled");
        s.setFrequency(Frequency.parse("never"));
        assertEquals(Optional.empty(), s.nextSync());
        assertTrue(timer.pending().isEmpty());
    }

    @Test
    void closeStopsSchedulingAndFailsPendingFollowUps() {
        SyncScheduler s = scheduler("@hourly");
        s.start();
        s.trigger(SyncScheduler.Reason.REQUEST);
        CompletableFuture<GenerationStats> follow = s.trigger(SyncScheduler.Reason.REQUEST);
        s.close();
        runSyncs();
        assertTrue(follow.isCompletedExceptionally());
        assertTrue(timer.pending().isEmpty());
        assertTrue(s.trigger(SyncScheduler.Reason.REQUEST).isCompletedExceptionally());
    }
}
