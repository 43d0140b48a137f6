package io.cloudmirror.sync;

import io.cloudmirror.index.GenerationBuilder;
import io.cloudmirror.index.GenerationStats;
import io.cloudmirror.index.IndexStore;
import io.cloudmirror.origin.BackendConnection;
import io.cloudmirror.origin.BlobOrigin;
import io.cloudmirror.origin.OriginException;
import io.cloudmirror.origin.Redactor;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs syncs of one subvolume: list the origin into a new index generation and publish it. A failed
 * or interrupted sync leaves the published generation untouched.
 *
 * <p>Thread-safe: syncs are serialized; {@link #status()} may be read at any time.
 */
public final class Syncer {

    private static final Logger LOG = LoggerFactory.getLogger(Syncer.class);

    private final String name;
    private final BlobOrigin origin;
    private final String prefix;
    private final IndexStore index;
    private final Clock clock;
    private final SyncListener listener;
    private final ReentrantLock running = new ReentrantLock();
    private final AtomicReference<SyncStatus> status = new AtomicReference<>(SyncStatus.initial());

    public Syncer(String name, BlobOrigin origin, String prefix, IndexStore index, Clock clock) {
        this(name, origin, prefix, index, clock, SyncListener.NONE);
    }

    public Syncer(String name, BlobOrigin origin, String prefix, IndexStore index, Clock clock, SyncListener listener) {
        this.name = name;
        this.origin = origin;
        this.prefix = prefix;
        this.index = index;
        this.clock = clock;
        this.listener = listener;
    }

    /** The current sync state. */
    public SyncStatus status() {
        return status.get();
    }

    /**
     * Lists the origin and publishes the result as the next generation; blocks while another sync runs.
     *
     * @throws IOException if the origin or the local disk failed; the published tree is unchanged
     */
    public GenerationStats syncNow() throws IOException {
        running.lock();
        try {
            Instant started = clock.instant();
            update(s -> new SyncStatus(s.connection(), true, Optional.of(started), s.lastSuccess(), s.lastError(), 0));
            LOG.info("{}: sync started (listing {}{})", name, origin.displayName(),
                    prefix.isEmpty() ? "" : " with prefix " + prefix);
            try (GenerationBuilder builder = index.newBuilder()) {
                origin.list(prefix, item -> {
                    builder.add(item);
                    long n = builder.listed();
                    if ((n & 1023) == 0) {
                        update(s -> new SyncStatus(s.connection(), true, s.lastAttempt(), s.lastSuccess(),
                                s.lastError(), n));
                    }
                });
                GenerationStats stats = index.publish(builder.build(clock.instant()));
                Instant done = clock.instant();
                update(s -> new SyncStatus(BackendConnection.CONNECTED, false, s.lastAttempt(), Optional.of(done), "",
                        builder.listed()));
                LOG.info("{}: sync finished in {} ms: generation {}, {} files ({} new, {} changed, {} removed)", name,
                        done.toEpochMilli() - started.toEpochMilli(), stats.number(), stats.files(), stats.added(),
                        stats.changed(), stats.removed());
                listener.published(name, stats);
                return stats;
            }
        } catch (IOException | RuntimeException e) {
            BackendConnection conn = e instanceof OriginException oe ? oe.connection() : status.get().connection();
            String error = Redactor.redact(e.getMessage() == null ? e.toString() : e.getMessage());
            update(s -> new SyncStatus(conn, false, s.lastAttempt(), s.lastSuccess(), error, s.listed()));
            LOG.warn("{}: sync failed, still serving generation {}: {}", name, index.currentStats().number(), error);
            listener.failed(name, e);
            throw e;
        } finally {
            running.unlock();
        }
    }

    private void update(java.util.function.UnaryOperator<SyncStatus> f) {
        status.updateAndGet(f);
    }
}
