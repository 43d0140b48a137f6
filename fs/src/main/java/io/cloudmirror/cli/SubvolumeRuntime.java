package io.cloudmirror.cli;

import io.cloudmirror.blocks.BlockCache;
import io.cloudmirror.blocks.CacheStats;
import io.cloudmirror.blocks.CachedContent;
import io.cloudmirror.blocks.Prefetcher;
import io.cloudmirror.blocks.ReadCounters;
import io.cloudmirror.blocks.ReadSettings;
import io.cloudmirror.config.Prefetch;
import io.cloudmirror.fs.CachedSource;
import java.time.Duration;
import io.cloudmirror.config.SubvolumeConfig;
import io.cloudmirror.fs.Subvolume;
import io.cloudmirror.index.Durable;
import io.cloudmirror.index.Generation;
import io.cloudmirror.index.GenerationStats;
import io.cloudmirror.index.IndexStore;
import io.cloudmirror.origin.BlobOrigin;
import io.cloudmirror.metrics.Metrics;
import io.cloudmirror.sync.Backoff;
import io.cloudmirror.sync.ConnectionMonitor;
import io.cloudmirror.sync.Origins;
import io.cloudmirror.sync.SyncScheduler;
import io.cloudmirror.sync.SyncTimer;
import io.cloudmirror.sync.SyncListener;
import io.cloudmirror.sync.Syncer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything one subvolume runs on inside the daemon: its cache directory, index, block cache, origin, read
 * path, prefetcher, syncer, schedule and connection monitor, and the {@link Subvolume} view the core serves.
 * Opened together, closed together. After every publish the prefetcher brings the block cache in step with
 * the new tree.
 *
 * <p>Thread-safe after construction (its parts are).
 */
final class SubvolumeRuntime implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SubvolumeRuntime.class);
    private static final String ONESHOT_FILE = "oneshot.applied";

    private final IndexStore index;
    private final BlobOrigin origin;
    private final BlockCache blocks;
    private final CachedContent content;
    private final Prefetcher prefetcher;
    private final Syncer syncer;
    private final SyncScheduler scheduler;
    private final ExecutorService runner;
    private final ExecutorService prober;
    private final ConnectionMonitor monitor;
    private final Subvolume subvolume;
    /** The configuration running: as mounted, with the edits applied live since (see LiveConfig). */
    private volatile SubvolumeConfig config;
    private final CacheView cache;

    private SubvolumeRuntime(SubvolumeConfig config, IndexStore index, BlobOrigin origin, BlockCache blocks,
                             CachedContent content, Prefetcher prefetcher, Syncer syncer, SyncTimer timer) {
        this.config = config;
        this.index = index;
        this.origin = origin;
        this.blocks = blocks;
        this.content = content;
        this.prefetcher = prefetcher;
        this.cache = new BlockCacheView(blocks, prefetcher);
        this.syncer = syncer;
        this.runner = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "sync-" + config.name());
            t.setDaemon(true);
            return t;
        });
        this.scheduler = new SyncScheduler(config.name(), syncer, config.schedule().frequency(), timer, runner,
                Backoff.DEFAULT);
        this.prober = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "probe-" + config.name());
            t.setDaemon(true);
            return t;
        });
        this.monitor = new ConnectionMonitor(config.name(), origin, syncer, timer, prober, ConnectionMonitor.INTERVAL);
        this.subvolume = new Subvolume(config.name(), config.path(), index, new CachedSource(content),
                config.mirrorsIndexTags());
    }

    /**
     * Opens the cache directory (owner-only), the index, the block cache and the origin of {@code config},
     * and starts a cache maintenance pass over the published tree in the background (it resumes a prefetch
     * that a stop interrupted and drops blocks of versions that left the tree). The origin's traffic, the
     * cache's counters and the subvolume's state are reported to {@code metrics}.
     *
     * @param timer    the time source and thread of the sync schedule and the connection monitor
     * @param listener hears about syncs before the prefetcher is asked to follow them: the kernel's hold on the
     *                 versions a publish superseded is taken before the prefetcher's pass drops unheld ones
     * @param reads    how the read path fetches and caches
     */
    static SubvolumeRuntime open(SubvolumeConfig config, Clock clock, SyncTimer timer, SyncListener listener,
                                 Metrics metrics, ReadSettings reads) throws IOException {
        Path cacheDir = config.cache().directory();
        Files.createDirectories(cacheDir);
        try {
            Files.setPosixFilePermissions(cacheDir, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debug("cannot restrict {}: {}", cacheDir, e.toString());
        }
        IndexStore index = IndexStore.open(cacheDir.resolve("index"), config.name());
        BlockCache blocks = null;
        BlobOrigin origin = null;
        try {
            blocks = BlockCache.open(cacheDir.resolve("blocks"), config.cache().maxSize());
            origin = metrics.meter(config.name(), Origins.open(config, System::getenv));
            CachedContent content = CachedContent.create(config.name(), origin, blocks, reads);
            Prefetcher prefetcher = Prefetcher.create(config.name(), index, content,
                    config.cache().prefetch() == Prefetch.all, clock);
            SyncListener prefetchAfterPublish = new SyncListener() {
                @Override
                public void published(String subvolume, GenerationStats stats) {
                    prefetcher.request();
                }
            };
            Syncer syncer = new Syncer(config.name(), origin, config.blobNamePrefix(), index, clock,
                    SyncListener.all(List.of(listener, prefetchAfterPublish, metrics.syncListener())));
            LOG.info("subvolume {}: {} at /{}, serving generation {} ({} files); block cache {} MiB of {} MiB, "
                    + "prefetch {}", config.name(), origin.displayName(), config.path(), index.currentStats().number(),
                    index.currentStats().files(), blocks.stats().usedBytes() >> 20, config.cache().maxSize() >> 20,
                    config.cache().prefetch());
            if (index.currentStats().number() > 0) {
                prefetcher.request();
            }
            SubvolumeRuntime r = new SubvolumeRuntime(config, index, origin, blocks, content, prefetcher, syncer,
                    timer);
            BlockCache b = blocks;
            metrics.watch(config.name(), index::currentStats, syncer::status, () -> {
                CacheStats c = b.stats();
                return new Metrics.CacheCounts(c.usedBytes(), c.hits(), c.misses());
            });
            return r;
        } catch (IOException | RuntimeException e) {
            if (origin != null) {
                origin.close();
            }
            if (blocks != null) {
                blocks.close();
            }
            index.close();
            throw e;
        }
    }

    SubvolumeConfig config() {
        return config;
    }

    Subvolume subvolume() {
        return subvolume;
    }

    BlobOrigin origin() {
        return origin;
    }

    Syncer syncer() {
        return syncer;
    }

    SyncScheduler scheduler() {
        return scheduler;
    }

    ConnectionMonitor monitor() {
        return monitor;
    }

    /** A reference to the published generation; the caller must release it. */
    Generation acquirePublished() {
        return index.acquire();
    }

    /** The published generation's stats. */
    GenerationStats published() {
        return index.currentStats();
    }

    /** The block cache as status and sync progress see it. */
    CacheView cache() {
        return cache;
    }

    /** The block cache's counters (size, hits, evictions, ...). */
    CacheStats cacheStats() {
        return blocks.stats();
    }

    /** The read path's counters (GETs, bytes from the origin, readahead, ...). */
    ReadCounters readCounters() {
        return content.counters();
    }

    /** Where prefetch stands. */
    Prefetcher.Progress prefetchProgress() {
        return prefetcher.progress();
    }

    /** Records the configuration now running, after edits applied live ({@link LiveConfig}). */
    void applied(SubvolumeConfig live) {
        config = live;
    }

    /**
     * Starts following the schedule, and syncs at once when the configuration asks for it: a oneshot
     * UUID not yet honoured, or a schedule time missed while the daemon was down (catch-up). A subvolume
     * never synced before and without a oneshot waits for its schedule, as the product documents say.
     */
    void startSchedule(Clock clock) {
        scheduler.start();
        try {
            startupSync(clock);
        } finally {
            monitor.start(); // after the start-up sync began, which then speaks for the link
        }
    }

    private void startupSync(Clock clock) {
        if (oneshotPending()) {
            triggerOneshot(config.schedule().oneshot());
            return;
        }
        GenerationStats published = index.currentStats();
        if (published.number() > 0
                && SyncScheduler.missedSchedule(config.schedule().frequency(), published.createdAt(), clock.instant())) {
            LOG.info("{}: a scheduled sync was missed since {}; catching up", config.name(), published.createdAt());
            scheduler.trigger(SyncScheduler.Reason.CATCH_UP);
        } else {
            LOG.info("{}: next sync {}", config.name(), scheduler.nextSync().map(Object::toString).orElse("never"));
        }
    }

    /** Syncs now for oneshot UUID {@code oneshot}, and records it as honoured once a sync succeeded. */
    CompletableFuture<GenerationStats> triggerOneshot(String oneshot) {
        LOG.info("{}: oneshot {}: syncing now", config.name(), oneshot);
        return scheduler.trigger(SyncScheduler.Reason.ONESHOT).whenComplete((stats, error) -> {
            if (error == null) {
                try {
                    markOneshotApplied(oneshot);
                } catch (IOException e) {
                    LOG.warn("{}: cannot record oneshot {} as honoured: {}", config.name(), oneshot, e.toString());
                }
            }
        });
    }

    /** Whether the configured oneshot UUID asks for a sync that has not been honoured yet. */
    boolean oneshotPending() {
        String oneshot = config.schedule().oneshot();
        return !oneshot.isEmpty() && !oneshot.equals(appliedOneshot());
    }

    /** Records that {@code oneshot} has been honoured. */
    void markOneshotApplied(String oneshot) throws IOException {
        Durable.writeAtomically(config.cache().directory().resolve(ONESHOT_FILE),
                (oneshot + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private String appliedOneshot() {
        Path f = config.cache().directory().resolve(ONESHOT_FILE);
        try {
            return Files.exists(f) ? Files.readString(f, StandardCharsets.UTF_8).strip() : "";
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() {
        monitor.close();
        prober.shutdownNow();
        scheduler.close();
        runner.shutdownNow();
        try {
            if (!runner.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("{}: a sync did not stop in time", config.name());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        prefetcher.close();
        content.close();
        blocks.close();
        index.close();
        origin.close();
    }


    /** Status's view of the block cache and its prefetch. The limit can change only with a remount. */
    private record BlockCacheView(BlockCache blocks, Prefetcher prefetcher) implements CacheView {
        @Override
        public long cachedBytes() {
            return blocks.stats().usedBytes();
        }

        @Override
        public Prefetch prefetch() {
            Prefetcher.Progress p = prefetcher.progress();
            Duration elapsed = p.running() && p.lastStarted().isPresent()
                    ? Duration.between(p.lastStarted().get(), java.time.Instant.now()) : Duration.ZERO;
            return new Prefetch(p.running(), p.bytesFetched(), p.bytesToFetch(), elapsed);
        }
    }
}
