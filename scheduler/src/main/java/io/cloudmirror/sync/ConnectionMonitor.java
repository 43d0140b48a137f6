package io.cloudmirror.sync;

import io.cloudmirror.origin.BlobOrigin;
import io.cloudmirror.origin.Probe;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one subvolume's BACKENDCONNECTION true when nobody syncs: probes the origin every {@code interval}
 * (a probe is one listing request for one blob), and on demand when status asks and the last word on the
 * link is older than it accepts. A sync reports the link itself, so no probe is scheduled within
 * {@code interval} of the last sync or probe. Results go to {@link Syncer#recordProbe}, where status reads
 * them.
 *
 * <p>Thread-safe. Time comes from the injected {@link SyncTimer}; probes run on the injected executor, at
 * most one at a time, so a hanging origin never piles up probes.
 */
public final class ConnectionMonitor implements AutoCloseable {

    /** How often the link is probed when nothing else talks to the origin. */
    public static final Duration INTERVAL = Duration.ofSeconds(30);

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionMonitor.class);

    private final String name;
    private final BlobOrigin origin;
    private final Syncer syncer;
    private final SyncTimer timer;
    private final Executor prober;
    private final Duration interval;
    private CompletableFuture<SyncStatus> inFlight;
    private SyncTimer.Cancellable next;
    private boolean started;
    private boolean closed;

    public ConnectionMonitor(String name, BlobOrigin origin, Syncer syncer, SyncTimer timer, Executor prober,
                             Duration interval) {
        this.name = name;
        this.origin = origin;
        this.syncer = syncer;
        this.timer = timer;
        this.prober = prober;
        this.interval = interval;
    }

    /** Starts probing: at once, then every interval. */
    public synchronized void start() {
        if (started || closed) {
            return;
        }
        started = true;
        scheduleAt(timer.now());
    }

    /**
     * The sync state with a link state no older than {@code maxAge}: at once if it is fresh enough (or a sync
     * runs, which will report it), else once a probe started now (or already running) has finished.
     */
    public synchronized CompletableFuture<SyncStatus> fresh(Duration maxAge) {
        SyncStatus s = syncer.status();
        if (closed || s.running() || isFresh(s, maxAge)) {
            return CompletableFuture.completedFuture(s);
        }
        return probe();
    }

    private boolean isFresh(SyncStatus s, Duration maxAge) {
        Optional<Instant> at = s.connectionAt();
        return at.isPresent() && !at.get().plus(maxAge).isBefore(timer.now());
    }

    /** Starts a probe unless one runs; the future completes with the status after it. */
    private CompletableFuture<SyncStatus> probe() {
        if (inFlight != null) {
            return inFlight;
        }
        CompletableFuture<SyncStatus> f = new CompletableFuture<>();
        inFlight = f;
        try {
            prober.execute(() -> {
                Probe p;
                try {
                    p = origin.probe();
                } catch (RuntimeException e) {
                    LOG.warn("{}: probing the origin failed unexpectedly", name, e);
                    p = null;
                }
                if (p != null) {
                    syncer.recordProbe(p);
                    LOG.debug("{}: probe: {} {}", name, p.connection().display(), p.detail());
                }
                synchronized (this) {
                    inFlight = null;
                }
                f.complete(syncer.status());
            });
        } catch (RejectedExecutionException e) {
            inFlight = null;
            f.complete(syncer.status());
        }
        return f;
    }

    /** Runs at each interval: probes unless a sync or probe spoke lately, then schedules the next look. */
    private synchronized void tick() {
        next = null;
        if (closed) {
            return;
        }
        SyncStatus s = syncer.status();
        if (s.running() || isFresh(s, interval.minusMillis(1))) {
            Instant base = s.running() ? timer.now() : s.connectionAt().orElse(timer.now());
            scheduleAt(base.plus(interval));
            return;
        }
        probe().whenComplete((status, error) -> {
            synchronized (this) {
                if (!closed) {
                    scheduleAt(timer.now().plus(interval));
                }
            }
        });
    }

    private void scheduleAt(Instant at) {
        if (next != null) {
            next.cancel();
        }
        next = timer.schedule(this::tick, at);
    }

    /** Stops probing; a probe in flight finishes. */
    @Override
    public synchronized void close() {
        closed = true;
        if (next != null) {
            next.cancel();
            next = null;
        }
    }
}
