package io.cloudmirror.sync;

import io.cloudmirror.index.GenerationBuilder;
import io.cloudmirror.index.GenerationStats;
import io.cloudmirror.index.IndexStore;
import io.cloudmirror.origin.BlobOrigin;
import io.cloudmirror.origin.OriginException;
import io.cloudmirror.origin.Probe;
import io.cloudmirror.origin.Redactor;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
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
    private volatile String prefix;
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

    /** The blob name prefix listed. */
    public String prefix() {
        return prefix;
    }

    /** Lists blobs starting with {@code p} from the next sync on (a running sync keeps its prefix). */
    public void setPrefix(String p) {
        String old = prefix;
        prefix = p == null ? "" : p;
        if (!old.equals(prefix)) {
            LOG.info("{}: blobNamePrefix \"{}\" -> \"{}\" from the next sync on", name, old, prefix);
        }
    }

    /**
     * Records what a probe of the origin found, so that status shows the link as it is even when no sync
     * runs. A probe never changes the last sync's outcome or error.
     */
    public void recordProbe(Probe probe) {
        Instant at = clock.instant();
        update(s -> s.probed(probe.connection(), Redactor.redact(probe.detail()), at));
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
            String listPrefix = prefix;
            update(s -> s.started(started));
            listener.started(name);
            LOG.info("{}: sync started (listing {}{})", name, origin.displayName(),
                    listPrefix.isEmpty() ? "" : " with prefix " + listPrefix);
            try (GenerationBuilder builder = index.newBuilder()) {
                long[] listedBytes = {0};
                origin.list(listPrefix, item -> {
                    builder.add(item);
                    listedBytes[0] += item.size();
                    long n = builder.listed();
                    if ((n & 255) == 0) {
                        long b = listedBytes[0];
                        update(s -> s.listedSoFar(n, b));
                    }
                });
                update(s -> s.publishing(builder.listed(), listedBytes[0]));
                Instant listed = clock.instant();
                GenerationStats stats = index.publish(builder.build(clock.instant()));
                Instant done = clock.instant();
                update(s -> s.succeeded(done, builder.listed(), listedBytes[0]));
                LOG.info("{}: sync finished in {} ms: generation {}, {} files ({} new, {} changed, {} removed); "
                        + "listing {} ms, index {} ms", name, done.toEpochMilli() - started.toEpochMilli(),
                        stats.number(), stats.files(), stats.added(), stats.changed(), stats.removed(),
                        listed.toEpochMilli() - started.toEpochMilli(), done.toEpochMilli() - listed.toEpochMilli());
                listener.published(name, stats);
                return stats;
            }
        } catch (IOException | RuntimeException e) {
            String message = e.getMessage() == null ? e.toString() : e.getMessage();
            if (e instanceof IOException && !(e instanceof OriginException)) {
                // a local failure (disk full, permissions): say where, not only what
                message = "writing the index in " + index.directory() + ": " + message;
            }
            String error = Redactor.redact(message);
            Instant at = clock.instant();
            if (e instanceof OriginException oe) {
                update(s -> s.failed(oe.connection(), at, error));
            } else {
                update(s -> s.failedLocally(error));
            }
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
