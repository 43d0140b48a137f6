package io.cloudmirror.sync;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs tasks at wall-clock instants: the only source of time and threads for {@link SyncScheduler}, so
 * tests can replace it with a manual one and never sleep for a schedule.
 */
public interface SyncTimer {

    /** The current time. */
    Instant now();

    /** Runs {@code task} at {@code at} (at once if it is past); the returned handle cancels it. */
    Cancellable schedule(Runnable task, Instant at);

    /** A scheduled task that can be called off. */
    @FunctionalInterface
    interface Cancellable {
        void cancel();
    }

    /** A timer on a real clock and a scheduled executor. */
    static SyncTimer of(Clock clock, ScheduledExecutorService executor) {
        return new SyncTimer() {
            @Override
            public Instant now() {
                return clock.instant();
            }

            @Override
            public Cancellable schedule(Runnable task, Instant at) {
                long delay = Math.max(0, Duration.between(clock.instant(), at).toMillis());
                ScheduledFuture<?> f = executor.schedule(task, delay, TimeUnit.MILLISECONDS);
                return () -> f.cancel(false);
            }
        };
    }
}
