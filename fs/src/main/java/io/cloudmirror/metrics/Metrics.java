package io.cloudmirror.metrics;

import io.cloudmirror.index.GenerationStats;
import io.cloudmirror.index.SkipReason;
import io.cloudmirror.origin.BackendConnection;
import io.cloudmirror.origin.BlobOrigin;
import io.cloudmirror.origin.OriginException;
import io.cloudmirror.sync.SyncListener;
import io.cloudmirror.sync.SyncStatus;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Every metric a daemon exports, in one registry (scraped by {@link MetricsEndpoint}). All names start
 * with {@code cloudmirror_}; labels are subvolume names and fixed vocabularies (operation, error kind,
 * result, skip reason, connection state), never endpoints, containers, blob names or credentials.
 *
 * <table>
 * <caption>Metrics</caption>
 * <tr><td>{@code cloudmirror_sync_duration_seconds{subvolume,result}}</td><td>histogram of sync durations</td></tr>
 * <tr><td>{@code cloudmirror_syncs_total{subvolume,result}}</td><td>syncs by result: {@code success} or an error kind</td></tr>
 * <tr><td>{@code cloudmirror_generation{subvolume}}</td><td>the published index generation</td></tr>
 * <tr><td>{@code cloudmirror_blobs{subvolume}}, {@code cloudmirror_bytes{subvolume}}</td><td>files and bytes of the published tree</td></tr>
 * <tr><td>{@code cloudmirror_skipped_blobs{subvolume,reason}}</td><td>blobs left out of the published tree</td></tr>
 * <tr><td>{@code cloudmirror_last_sync_success_timestamp_seconds{subvolume}}</td><td>when the published generation was listed</td></tr>
 * <tr><td>{@code cloudmirror_backend_connection{subvolume,state}}</td><td>1 for the current link state, 0 for the others</td></tr>
 * <tr><td>{@code cloudmirror_cache_bytes{subvolume}}</td><td>bytes in the block cache</td></tr>
 * <tr><td>{@code cloudmirror_origin_requests_total{subvolume,operation}}</td><td>calls to the origin: {@code list}, {@code read}, {@code probe}</td></tr>
 * <tr><td>{@code cloudmirror_origin_errors_total{subvolume,operation,kind}}</td><td>failed calls by error kind</td></tr>
 * <tr><td>{@code cloudmirror_origin_read_bytes_total{subvolume}}</td><td>blob bytes received</td></tr>
 * <tr><td>{@code cloudmirror_origin_listed_blobs_total{subvolume}}</td><td>blobs received in listings</td></tr>
 * <tr><td>{@code cloudmirror_read_duration_seconds{subvolume}}</td><td>histogram of file reads through the core</td></tr>
 * <tr><td>{@code cloudmirror_read_bytes_total{subvolume}}</td><td>bytes read from files through the core</td></tr>
 * <tr><td>{@code cloudmirror_cache_hits_total{subvolume}}, {@code cloudmirror_cache_misses_total{subvolume}}</td><td>block cache lookups (the cache's own counters)</td></tr>
 * </table>
 *
 * <p>Thread-safe: the Prometheus client's metrics are; the per-subvolume sources are in concurrent maps.
 */
public final class Metrics {

    /** Error kinds, as label values. */
    static final String DENIED = "denied";
    static final String CONTAINER_MISSING = "container_missing";
    static final String VERSION_GONE = "version_gone";
    static final String UNREACHABLE = "unreachable";
    static final String FAILED = "failed";
    static final String LOCAL = "local";

    private final PrometheusRegistry registry;
    private final Histogram syncDuration;
    private final Counter syncs;
    final Counter originRequests;
    final Counter originErrors;
    final Counter originReadBytes;
    final Counter originListed;
    private final Histogram readDuration;
    private final Counter readBytes;
    private final Map<String, Source> sources = new ConcurrentHashMap<>();
    private final Map<String, Long> syncStarts = new ConcurrentHashMap<>();

    /** What the gauges of one subvolume read. */
    private record Source(Supplier<GenerationStats> published, Supplier<SyncStatus> status,
                          Supplier<CacheCounts> cache) {
    }

    /**
     * The block cache's counters, as the cache keeps them.
     *
     * @param bytes  bytes it holds
     * @param hits   lookups that found the block
     * @param misses lookups that had to fetch from the origin
     */
    public record CacheCounts(long bytes, long hits, long misses) {
    }

    public Metrics() {
        this(new PrometheusRegistry());
    }

    Metrics(PrometheusRegistry registry) {
        this.registry = registry;
        syncDuration = Histogram.builder().name("cloudmirror_sync_duration_seconds").unit(Unit.SECONDS)
                .help("How long syncs took (list, build and publish the next generation)")
                .labelNames("subvolume", "result").classicOnly()
                .classicUpperBounds(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
                .register(registry);
        syncs = Counter.builder().name("cloudmirror_syncs").help("Syncs by result: success, or the error kind")
                .labelNames("subvolume", "result").register(registry);
        GaugeWithCallback.builder().name("cloudmirror_generation").help("The published index generation")
                .labelNames("subvolume")
                .callback(cb -> sources.forEach((n, s) -> cb.call(s.published().get().number(), n)))
                .register(registry);
        GaugeWithCallback.builder().name("cloudmirror_blobs").help("Files in the published tree")
                .labelNames("subvolume")
                .callback(cb -> sources.forEach((n, s) -> cb.call(s.published().get().files(), n)))
                .register(registry);
        GaugeWithCallback.builder().name("cloudmirror_bytes").unit(Unit.BYTES).help("Bytes of the published tree")
                .labelNames("subvolume")
                .callback(cb -> sources.forEach((n, s) -> cb.call(s.published().get().bytes(), n)))
                .register(registry);
        GaugeWithCallback.builder().name("cloudmirror_skipped_blobs")
                .help("Blobs left out of the published tree, by reason").labelNames("subvolume", "reason")
                .callback(cb -> sources.forEach((n, s) -> {
                    Map<SkipReason, Long> skipped = s.published().get().skipped();
                    for (SkipReason r : SkipReason.values()) {
                        cb.call(skipped.getOrDefault(r, 0L), n, r.name().toLowerCase(Locale.ROOT));
                    }
                }))
                .register(registry);
        GaugeWithCallback.builder().name("cloudmirror_last_sync_success_timestamp_seconds")
                .help("When the listing of the published generation finished (Unix time)").labelNames("subvolume")
                .callback(cb -> sources.forEach((n, s) -> {
                    GenerationStats g = s.published().get();
                    if (g.number() > 0) {
                        cb.call(g.createdAt().toEpochMilli() / 1000.0, n);
                    }
                }))
                .register(registry);
        GaugeWithCallback.builder().name("cloudmirror_backend_connection")
                .help("The link to the origin: 1 for the current state, 0 for the others")
                .labelNames("subvolume", "state")
                .callback(cb -> sources.forEach((n, s) -> {
                    BackendConnection now = s.status().get().connection();
                    for (BackendConnection c : BackendConnection.values()) {
                        cb.call(c == now ? 1 : 0, n, c.display());
                    }
                }))
                .register(registry);
        GaugeWithCallback.builder().name("cloudmirror_cache").unit(Unit.BYTES).help("Bytes in the block cache")
                .labelNames("subvolume")
                .callback(cb -> sources.forEach((n, s) -> cb.call(s.cache().get().bytes(), n)))
                .register(registry);
        CounterWithCallback.builder().name("cloudmirror_cache_hits").help("Block cache lookups that found the block")
                .labelNames("subvolume")
                .callback(cb -> sources.forEach((n, s) -> cb.call(s.cache().get().hits(), n)))
                .register(registry);
        CounterWithCallback.builder().name("cloudmirror_cache_misses")
                .help("Block cache lookups that had to fetch from the origin").labelNames("subvolume")
                .callback(cb -> sources.forEach((n, s) -> cb.call(s.cache().get().misses(), n)))
                .register(registry);
        originRequests = Counter.builder().name("cloudmirror_origin_requests")
                .help("Calls to the origin by operation (list, read, probe); a listing is one call however many pages")
                .labelNames("subvolume", "operation").register(registry);
        originErrors = Counter.builder().name("cloudmirror_origin_errors")
                .help("Failed calls to the origin by operation and error kind")
                .labelNames("subvolume", "operation", "kind").register(registry);
        originReadBytes = Counter.builder().name("cloudmirror_origin_read_bytes")
                .help("Blob bytes received from the origin").labelNames("subvolume").register(registry);
        originListed = Counter.builder().name("cloudmirror_origin_listed_blobs")
                .help("Blobs received in listings of the origin").labelNames("subvolume").register(registry);
        readDuration = Histogram.builder().name("cloudmirror_read_duration_seconds").unit(Unit.SECONDS)
                .help("How long file reads took in the daemon (FUSE read requests)").labelNames("subvolume")
                .classicOnly()
                .classicUpperBounds(0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30)
                .register(registry);
        readBytes = Counter.builder().name("cloudmirror_read_bytes").help("Bytes read from files")
                .labelNames("subvolume").register(registry);
    }

    /** The registry the endpoint serves. */
    PrometheusRegistry registry() {
        return registry;
    }

    /**
     * Starts reporting the gauges of subvolume {@code name}: its published tree, its link state, and its
     * block cache's size, hits and misses.
     */
    public void watch(String name, Supplier<GenerationStats> published, Supplier<SyncStatus> status,
                      Supplier<CacheCounts> cache) {
        sources.put(name, new Source(published, status, cache));
    }

    /** {@code origin}, counting its requests, errors and bytes as subvolume {@code name}'s. */
    public BlobOrigin meter(String name, BlobOrigin origin) {
        return new MeteredOrigin(name, origin, this);
    }

    /** A listener recording the duration and result of every sync. */
    public SyncListener syncListener() {
        return new SyncListener() {
            @Override
            public void started(String subvolume) {
                syncStarts.put(subvolume, System.nanoTime());
            }

            @Override
            public void published(String subvolume, GenerationStats stats) {
                ended(subvolume, "success");
            }

            @Override
            public void failed(String subvolume, Exception error) {
                ended(subvolume, kind(error));
            }
        };
    }

    private void ended(String subvolume, String result) {
        Long start = syncStarts.remove(subvolume);
        syncs.labelValues(subvolume, result).inc();
        if (start != null) {
            syncDuration.labelValues(subvolume, result).observe((System.nanoTime() - start) / 1e9);
        }
    }

    /** Records one file read through the core. */
    public void read(String subvolume, long bytes, long nanos) {
        readDuration.labelValues(subvolume).observe(nanos / 1e9);
        if (bytes > 0) {
            readBytes.labelValues(subvolume).inc(bytes);
        }
    }

    /** The error kind label of a failure: the origin's kinds, or {@code local} for the disk and the rest. */
    static String kind(Throwable e) {
        if (e instanceof OriginException.Denied) {
            return DENIED;
        }
        if (e instanceof OriginException.ContainerMissing) {
            return CONTAINER_MISSING;
        }
        if (e instanceof OriginException.VersionGone) {
            return VERSION_GONE;
        }
        if (e instanceof OriginException.Unreachable) {
            return UNREACHABLE;
        }
        if (e instanceof OriginException) {
            return FAILED;
        }
        return LOCAL;
    }

    /** The error kind label a failed probe's connection state implies. */
    static String kind(BackendConnection c) {
        return switch (c) {
            case UNAUTHORIZED -> DENIED;
            case NOT_FOUND -> CONTAINER_MISSING;
            case DISCONNECTED -> UNREACHABLE;
            case CONNECTED -> FAILED;
        };
    }
}
