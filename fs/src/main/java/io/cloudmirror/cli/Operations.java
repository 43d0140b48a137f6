package io.cloudmirror.cli;

import io.cloudmirror.config.ConfigLoader;
import io.cloudmirror.config.MirrorConfig;
import io.cloudmirror.control.ControlProtocol.DaemonInfo;
import io.cloudmirror.control.ControlServer;
import io.cloudmirror.control.ControlSockets;
import io.cloudmirror.fs.MirrorFileSystem;
import io.cloudmirror.metrics.Metrics;
import io.cloudmirror.metrics.MetricsEndpoint;
import io.cloudmirror.sync.ConfigWatcher;
import io.cloudmirror.sync.SyncTimer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's side of one daemon: its metrics (and their opt-in endpoint), its control socket for
 * {@code cloudmirror status} and {@code sync}, and the watch on its configuration that applies edits live.
 * Metrics exist from the start (the subvolumes report into them as they open); the socket and the watch
 * start once the mount is live.
 *
 * <p>Thread-safe after {@link #start}; closed once, by the daemon's thread.
 */
final class Operations implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Operations.class);

    private final MirrorConfig config;
    private final Path mountpoint;
    private final Clock clock;
    private final Instant startedAt;
    private final Metrics metrics = new Metrics();
    private MetricsEndpoint endpoint;
    private ControlServer control;
    private ConfigWatcher watcher;

    Operations(MirrorConfig config, Path mountpoint, Clock clock) {
        this.config = config;
        this.mountpoint = mountpoint;
        this.clock = clock;
        this.startedAt = clock.instant();
    }

    /** What the subvolumes report into. */
    Metrics metrics() {
        return metrics;
    }

    /**
     * Starts serving metrics at {@code address}, if one is given.
     *
     * @throws IOException if the address cannot be bound (the mount then fails: the operator asked for it)
     */
    void serveMetrics(MetricsEndpoint.Address address) throws IOException {
        if (address != null) {
            endpoint = MetricsEndpoint.start(metrics, address);
            LOG.info("serving metrics on {}", endpoint.url());
        }
    }

    /**
     * Once the mount is live: counts reads, opens the control socket and watches the configuration. A
     * socket or watch that cannot be set up is logged; the mount goes on without it.
     */
    void start(List<SubvolumeRuntime> runtimes, MirrorFileSystem fs, SyncTimer timer) {
        fs.observeReads(metrics::read);
        LiveConfig live = new LiveConfig(config.source(), runtimes);
        DaemonControl handler = new DaemonControl(this::info, mountpoint, runtimes, live, clock);
        Path socket = ControlSockets.of(RuntimePaths.runtimeDir(), mountpoint);
        try {
            control = ControlServer.start(socket, handler);
        } catch (IOException e) {
            LOG.error("{}; cloudmirror status and sync cannot reach this mount", e.getMessage());
        }
        try {
            watcher = ConfigWatcher.start(config.source(), ConfigLoader.forThisProcess(), timer, ConfigWatcher.QUIET,
                    live);
        } catch (IOException e) {
            LOG.error("cannot watch {} for edits ({}); edit it and remount to apply changes", config.source(),
                    e.toString());
        }
    }

    private DaemonInfo info() {
        String version = Main.class.getPackage().getImplementationVersion();
        return new DaemonInfo(ProcessHandle.current().pid(), mountpoint.toString(), config.source().toString(),
                version == null ? "development" : version, startedAt.toString(),
                endpoint == null ? null : endpoint.url());
    }

    @Override
    public void close() {
        if (watcher != null) {
            watcher.close();
        }
        if (control != null) {
            control.close();
        }
        if (endpoint != null) {
            endpoint.close();
        }
    }
}
