package io.cloudmirror.sync;

import io.cloudmirror.config.Frequency;
import io.cloudmirror.index.GenerationStats;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When one subvolume syncs: at the times its frequency names (UTC), when asked (a oneshot UUID,
 * {@code cloudmirror sync}, a missed schedule at start), and again after a failure with backoff.
 *
 * <p>Triggers coalesce: a trigger while no sync runs starts one; any number of triggers while a sync
 * runs share a single follow-up sync, started as soon as the running one ends. Every trigger's future
 * completes with the outcome of the first sync that starts after it.
 *
 * <p>Thread-safe. Time comes only from the injected {@link SyncTimer} and syncs run only on the injected
 * runner, so tests drive it without sleeping.
 */
public final class SyncScheduler implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SyncScheduler.class);

    /** Why a sync runs; logged, and shown by status. */
    public enum Reason {
        SCHEDULE, ONESHOT, CATCH_UP, RETRY, REQUEST
    }

    private final String name;
    private final Syncer syncer;
    private final SyncTimer timer;
    private final Executor runner;
    private final Backoff backoff;
    private Frequency frequency;
    private boolean running;
    private CompletableFuture<GenerationStats> current;
    private CompletableFuture<GenerationStats> followUp;
    private Reason followUpReason;
    private SyncTimer.Cancellable next;
    private Instant nextAt;
    private Reason nextReason;
    private int failures;
    private boolean started;
    private boolean closed;

    /**
     * @param runner where syncs run; one sync at a time is ever submitted
     */
    public SyncScheduler(String name, Syncer syncer, Frequency frequency, SyncTimer timer, Executor runner,
                         Backoff backoff) {
        this.name = name;
        this.syncer = syncer;
        this.frequency = frequency;
        this.timer = timer;
        this.runner = runner;
        this.backoff = backoff;
    }

    /** Whether a schedule time fell between the last successful sync and now (and so was missed). */
    public static boolean missedSchedule(Frequency frequency, Instant lastSuccess, Instant now) {
        Optional<java.time.ZonedDateTime> previous = frequency.lastBefore(now.atZone(ZoneOffset.UTC));
        return previous.isPresent() && previous.get().toInstant().isAfter(lastSuccess);
    }

    /** Starts following the frequency: the first scheduled sync is the next schedule time from now. */
    public synchronized void start() {
        if (closed || started) {
            return;
        }
        started = true;
        if (!running) {
            scheduleNext(null);
        }
    }

    /**
     * Asks for a sync now (or right after the running one). The future completes when the first sync
     * that starts after this call ends, exceptionally if it fails.
     */
    public synchronized CompletableFuture<GenerationStats> trigger(Reason reason) {
        if (closed) {
            return CompletableFuture.failedFuture(new IllegalStateException(name + ": scheduler closed"));
        }
        if (running) {
            if (followUp == null) {
                followUp = new CompletableFuture<>();
                followUpReason = reason;
                LOG.info("{}: {} sync requested while a sync runs; it will follow", name, label(reason));
            }
            return followUp;
        }
        CompletableFuture<GenerationStats> f = new CompletableFuture<>();
        launch(f, reason);
        return f;
    }

    /** When the next sync is due on its own (schedule or retry), if any. */
    public synchronized Optional<Instant> nextSync() {
        return Optional.ofNullable(nextAt);
    }

    /** Why the next sync is due, if one is. */
    public synchronized Optional<Reason> nextReason() {
        return Optional.ofNullable(nextAt == null ? null : nextReason);
    }

    /** Consecutive failed syncs (0 after a success). */
    public synchronized int failures() {
        return failures;
    }

    /** Follows {@code f} from now on (the next schedule time is recomputed unless a sync runs). */
    public synchronized void setFrequency(Frequency f) {
        if (f.equals(frequency)) {
            return;
        }
        LOG.info("{}: frequency {} -> {}", name, frequency, f);
        frequency = f;
        if (started && !running && !closed && failures == 0) {
            scheduleNext(null);
        }
    }

    /** The frequency followed. */
    public synchronized Frequency frequency() {
        return frequency;
    }

    private void launch(CompletableFuture<GenerationStats> f, Reason reason) {
        cancelNext();
        running = true;
        current = f;
        LOG.debug("{}: starting {} sync", name, label(reason));
        runner.execute(() -> run(f));
    }

    private void run(CompletableFuture<GenerationStats> f) {
        GenerationStats stats = null;
        Exception failure = null;
        try {
            stats = syncer.syncNow();
        } catch (Exception e) {
            failure = e;
        }
        CompletableFuture<GenerationStats> again;
        Reason againReason;
        synchronized (this) {
            running = false;
            current = null;
            failures = failure == null ? 0 : failures + 1;
            again = followUp;
            againReason = followUpReason;
            followUp = null;
            followUpReason = null;
            if (again != null && !closed) {
                launch(again, againReason);
            } else if (!closed && (started || failure != null)) {
                scheduleNext(failure);
            }
        }
        if (failure == null) {
            f.complete(stats);
        } else {
            f.completeExceptionally(failure);
        }
        if (again != null && closed) {
            again.completeExceptionally(new IllegalStateException(name + ": scheduler closed"));
        }
    }

    /** Schedules the next sync: the next schedule time, or sooner a retry after {@code failure}. */
    private void scheduleNext(Exception failure) {
        cancelNext();
        Instant now = timer.now();
        Optional<Instant> scheduled = started
                ? frequency.nextAfter(now.atZone(ZoneOffset.UTC)).map(z -> z.toInstant()) : Optional.empty();
        Instant at = scheduled.orElse(null);
        Reason reason = Reason.SCHEDULE;
        if (failure != null) {
            Instant retry = now.plus(backoff.delay(failures));
            if (at == null || retry.isBefore(at)) {
                at = retry;
                reason = Reason.RETRY;
            }
        }
        if (at == null) {
            return;
        }
        Reason why = reason;
        nextAt = at;
        nextReason = why;
        next = timer.schedule(() -> {
            synchronized (this) {
                next = null;
                nextAt = null;
            }
            trigger(why);
        }, at);
        LOG.debug("{}: next sync {} at {}", name, label(why), at);
    }

    private void cancelNext() {
        if (next != null) {
            next.cancel();
            next = null;
        }
        nextAt = null;
    }

    private static String label(Reason r) {
        return r.name().toLowerCase().replace('_', '-');
    }

    /** Stops scheduling; a running sync finishes, a requested follow-up fails. */
    @Override
    public synchronized void close() {
        closed = true;
        cancelNext();
        if (followUp != null && !running) {
            followUp.completeExceptionally(new IllegalStateException(name + ": scheduler closed"));
        }
    }
}
