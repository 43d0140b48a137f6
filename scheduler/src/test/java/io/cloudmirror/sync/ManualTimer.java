package io.cloudmirror.sync;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/** A {@link SyncTimer} whose time moves only when a test says so; due tasks run on the test's thread. */
final class ManualTimer implements SyncTimer {

    private record Task(Instant at, long seq, Runnable run) {
    }

    private final PriorityQueue<Task> tasks = new PriorityQueue<>(
            Comparator.comparing(Task::at).thenComparingLong(Task::seq));
    private Instant now;
    private long seq;

    ManualTimer(Instant start) {
        this.now = start;
    }

    @Override
    public synchronized Instant now() {
        return now;
    }

    @Override
    public synchronized Cancellable schedule(Runnable task, Instant at) {
        Task t = new Task(at, seq++, task);
        tasks.add(t);
        return () -> {
            synchronized (this) {
                tasks.remove(t);
            }
        };
    }

    /** Moves time to {@code t}, running every task due on the way, in order. */
    void advanceTo(Instant t) {
        while (true) {
            Task due;
            synchronized (this) {
                due = tasks.peek();
                if (due == null || due.at().isAfter(t)) {
                    now = t;
                    return;
                }
                tasks.poll();
                if (due.at().isAfter(now)) {
                    now = due.at();
                }
            }
            due.run().run();
        }
    }

    /** The instants of the tasks waiting. */
    synchronized List<Instant> pending() {
        List<Instant> out = new ArrayList<>();
        tasks.stream().sorted(Comparator.comparing(Task::at)).forEach(t -> out.add(t.at()));
        return out;
    }

    /** A clock reading this timer's time. */
    Clock clock() {
        ManualTimer self = this;
        return new Clock() {
            @Override
            public ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return self.now();
            }
        };
    }
}
