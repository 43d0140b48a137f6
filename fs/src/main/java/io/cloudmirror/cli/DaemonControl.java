package io.cloudmirror.cli;

import io.cloudmirror.control.ControlProtocol.DaemonInfo;
import io.cloudmirror.control.ControlProtocol.ManifestEntry;
import io.cloudmirror.control.ControlProtocol.Request;
import io.cloudmirror.control.ControlProtocol.Response;
import io.cloudmirror.control.ControlProtocol.SubvolumeState;
import io.cloudmirror.control.ControlProtocol.SyncProgress;
import io.cloudmirror.control.ControlProtocol.SyncResult;
import io.cloudmirror.control.ControlServer;
import io.cloudmirror.config.SubvolumeConfig;
import io.cloudmirror.index.Generation;
import io.cloudmirror.index.GenerationStats;
import io.cloudmirror.index.SkipReason;
import io.cloudmirror.origin.Redactor;
import io.cloudmirror.sync.SyncScheduler;
import io.cloudmirror.sync.SyncStatus;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Answers the control requests of one daemon ({@code status}, {@code sync}, {@code manifest}; see
 * {@link io.cloudmirror.control.ControlProtocol}) from its subvolumes' runtimes.
 *
 * <p>Status refreshes a link state older than {@link #PROBE_MAX_AGE} with a probe, waiting at most
 * {@link #PROBE_WAIT} for it, so status is current and never hangs. A waited-for sync streams progress every
 * {@link #PROGRESS_EVERY} until the syncs end and the prefetch they started (if any) is done.
 *
 * <p>Thread-safe: each request runs on its connection's thread and reads thread-safe state.
 */
final class DaemonControl implements ControlServer.Handler {

    static final Duration PROBE_MAX_AGE = Duration.ofSeconds(5);
    static final Duration PROBE_WAIT = Duration.ofSeconds(2);
    static final Duration PROGRESS_EVERY = Duration.ofMillis(250);
    /** How often a followed sync is looked at: its end is answered this soon, progress only every 250 ms. */
    private static final Duration CHECK_EVERY = Duration.ofMillis(10);
    static final int MANIFEST_BATCH = 1000;

    private final Supplier<DaemonInfo> info;
    private final Path mountpoint;
    private final List<SubvolumeRuntime> runtimes;
    private final LiveConfig live;
    private final Clock clock;

    DaemonControl(Supplier<DaemonInfo> info, Path mountpoint, List<SubvolumeRuntime> runtimes, LiveConfig live,
                  Clock clock) {
        this.info = info;
        this.mountpoint = mountpoint;
        this.runtimes = List.copyOf(runtimes);
        this.live = live;
        this.clock = clock;
    }

    @Override
    public void handle(Request request, ControlServer.Sink out) throws IOException {
        List<SubvolumeRuntime> selected = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        if (request.subvolumes() == null || request.subvolumes().isEmpty()) {
            selected.addAll(runtimes);
        } else {
            for (String n : request.subvolumes()) {
                Optional<SubvolumeRuntime> r = runtimes.stream().filter(x -> x.config().name().equals(n)).findFirst();
                if (r.isPresent()) {
                    selected.add(r.get());
                } else {
                    unknown.add(n);
                }
            }
        }
        if (!unknown.isEmpty()) {
            out.send(Response.error("no subvolume named " + String.join(", ", unknown) + " on " + mountpoint
                    + "; it serves " + String.join(", ", runtimes.stream().map(r -> r.config().name()).toList())));
            return;
        }
        switch (request.command()) {
            case "status" -> out.send(Response.status(info.get(), status(selected, request.probes())));
            case "sync" -> sync(selected, request.waits(), out);
            case "manifest" -> {
                if (selected.size() != 1) {
                    out.send(Response.error("manifest: name one subvolume; this daemon serves " + String.join(", ",
                            runtimes.stream().map(r -> r.config().name()).toList())));
                } else {
                    manifest(selected.get(0), out);
                }
            }
            default -> out.send(Response.error("unknown command \"" + request.command()
                    + "\"; expected status, sync or manifest"));
        }
    }

    /**
     * Streams the published tree of {@code r} in batches of {@link #MANIFEST_BATCH}, holding that generation
     * until the last batch is sent (a sync publishing meanwhile does not change what is listed).
     */
    private static void manifest(SubvolumeRuntime r, ControlServer.Sink out) throws IOException {
        Generation g = r.acquirePublished();
        try {
            boolean tags = r.config().mirrorsIndexTags();
            List<ManifestEntry> batch = new ArrayList<>(MANIFEST_BATCH);
            IOException[] failed = new IOException[1];
            g.forEachNode((path, node) -> {
                if (failed[0] != null) {
                    return;
                }
                batch.add(new ManifestEntry(path, node.isDirectory(), node.size(), node.mtime().toEpochMilli(),
                        node.isDirectory() ? null : node.etag(),
                        node.contentMd5() == null ? null : HexFormat.of().formatHex(node.contentMd5()),
                        tags && !node.tags().isEmpty() ? node.tags() : null));
                if (batch.size() == MANIFEST_BATCH) {
                    try {
                        out.send(Response.manifest(g.number(), List.copyOf(batch)));
                    } catch (IOException e) {
                        failed[0] = e;
                    }
                    batch.clear();
                }
            });
            if (failed[0] != null) {
                throw failed[0];
            }
            if (!batch.isEmpty()) {
                out.send(Response.manifest(g.number(), batch));
            }
            out.send(Response.end(g.number()));
        } finally {
            g.release();
        }
    }

    /** The states of {@code selected}, refreshing stale link states first (bounded by {@link #PROBE_WAIT}). */
    List<SubvolumeState> status(List<SubvolumeRuntime> selected, boolean probe) {
        if (probe) {
            CompletableFuture<?>[] probes = selected.stream().map(r -> r.monitor().fresh(PROBE_MAX_AGE))
                    .toArray(CompletableFuture[]::new);
            try {
                CompletableFuture.allOf(probes).get(PROBE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException | ExecutionException e) {
                // show what is known; the probe goes on and updates the state for the next request
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        List<SubvolumeState> out = new ArrayList<>();
        for (SubvolumeRuntime r : selected) {
            out.add(state(r));
        }
        return out;
    }

    private SubvolumeState state(SubvolumeRuntime r) {
        SubvolumeConfig c = r.config();
        SyncStatus s = r.syncer().status();
        GenerationStats g = r.published();
        SyncScheduler scheduler = r.scheduler();
        Optional<Instant> lastSync = s.lastSuccess().isPresent() ? s.lastSuccess()
                : g.number() > 0 ? Optional.of(g.createdAt()) : Optional.empty();
        Map<String, Long> skipped = new LinkedHashMap<>();
        for (Map.Entry<SkipReason, Long> e : g.skipped().entrySet()) {
            skipped.put(e.getKey().name().toLowerCase(Locale.ROOT), e.getValue());
        }
        return new SubvolumeState(c.name(), mountpoint.toString(), mountpoint.resolve(c.path()).toString(),
                s.connection().display(), s.connectionDetail(), iso(s.connectionAt()), iso(lastSync),
                iso(s.lastAttempt()), iso(scheduler.nextSync()),
                scheduler.nextReason().map(x -> x.name().toLowerCase(Locale.ROOT)).orElse(null), s.running(),
                s.phase().name().toLowerCase(Locale.ROOT), scheduler.frequency().expression(), g.number(), g.files(),
                g.bytes(), r.cache().cachedBytes(), g.skippedTotal(), skipped, s.lastError(), live.issue(c.name()),
                c.cache().directory().toString());
    }

    private static String iso(Optional<Instant> t) {
        return t.map(Instant::toString).orElse(null);
    }

    /** One triggered sync being followed. */
    private record Followed(SubvolumeRuntime runtime, Instant triggeredAt, CompletableFuture<GenerationStats> done) {
    }

    private void sync(List<SubvolumeRuntime> selected, boolean wait, ControlServer.Sink out) throws IOException {
        List<Followed> followed = new ArrayList<>();
        for (SubvolumeRuntime r : selected) {
            Instant at = clock.instant();
            followed.add(new Followed(r, at, r.scheduler().trigger(SyncScheduler.Reason.REQUEST)));
        }
        if (!wait) {
            out.send(Response.accepted(info.get(), selected.stream().map(r -> r.config().name()).toList()));
            return;
        }
        long nextProgress = System.nanoTime();
        while (true) {
            boolean finished = true;
            List<SyncProgress> progress = new ArrayList<>();
            for (Followed f : followed) {
                SyncProgress p = progress(f);
                finished &= p.phase().equals("done");
                progress.add(p);
            }
            if (finished) {
                break;
            }
            if (System.nanoTime() - nextProgress >= 0) {
                out.send(Response.progress(progress));
                nextProgress = System.nanoTime() + PROGRESS_EVERY.toNanos();
            }
            try {
                Thread.sleep(CHECK_EVERY.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        List<SyncResult> results = new ArrayList<>();
        for (Followed f : followed) {
            results.add(result(f));
        }
        out.send(Response.result(results));
    }

    private SyncProgress progress(Followed f) {
        SubvolumeRuntime r = f.runtime();
        String name = r.config().name();
        Instant now = clock.instant();
        if (f.done().isDone()) {
            CacheView.Prefetch p = r.cache().prefetch();
            if (!f.done().isCompletedExceptionally() && p.running()) {
                return new SyncProgress(name, "prefetching", 0, 0, 0, p.done(), p.total(), p.elapsed().toMillis());
            }
            return new SyncProgress(name, "done", 0, 0, 0, 0, 0, 0);
        }
        SyncStatus s = r.syncer().status();
        GenerationStats g = r.published();
        long waited = Duration.between(f.triggeredAt(), now).toMillis();
        if (!s.running()) {
            return new SyncProgress(name, "starting", 0, 0, 0, 0, 0, waited);
        }
        if (s.lastAttempt().isEmpty() || s.lastAttempt().get().isBefore(f.triggeredAt())) {
            return new SyncProgress(name, "waiting", 0, 0, 0, 0, 0, waited); // a sync that started before ours
        }
        long elapsed = Duration.between(s.lastAttempt().get(), now).toMillis();
        return new SyncProgress(name, s.phase().name().toLowerCase(Locale.ROOT), s.listed(), s.listedBytes(),
                g.files() + g.skippedTotal(), 0, 0, elapsed);
    }

    private SyncResult result(Followed f) {
        String name = f.runtime().config().name();
        long millis = Duration.between(f.triggeredAt(), clock.instant()).toMillis();
        try {
            GenerationStats g = f.done().join();
            return new SyncResult(name, true, g.number(), g.files(), g.bytes(), g.added(), g.changed(), g.removed(),
                    millis, null);
        } catch (CompletionException | java.util.concurrent.CancellationException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            String message = cause.getMessage() == null ? cause.toString() : cause.getMessage();
            return new SyncResult(name, false, 0, 0, 0, 0, 0, 0, millis, Redactor.redact(message));
        }
    }
}
