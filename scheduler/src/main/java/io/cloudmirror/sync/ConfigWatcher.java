package io.cloudmirror.sync;

import io.cloudmirror.config.ConfigException;
import io.cloudmirror.config.ConfigLoader;
import io.cloudmirror.config.MirrorConfig;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches a mount's configuration source (one YAML file, or a directory of them) and reports each settled
 * edit, loaded and validated, to a {@link Listener}.
 *
 * <p>Editors do not write a file once in place: {@code sed -i} writes a temporary file and renames it over
 * the original, editors write several times or swap in a backup, and Kubernetes swaps a symlink to a new
 * ConfigMap directory. So the directory that holds the configuration is watched (inotify through
 * {@link WatchService}), every event there restarts a short quiet period ({@link Debouncer}), and when it
 * ends the YAML bytes are read again: only if they differ from the last ones loaded is the configuration
 * loaded and reported. An edit that does not validate is reported as such and remembered, so the same
 * broken bytes are not reported twice.
 *
 * <p>Threading: one daemon thread waits for file events; loads and the listener run on the
 * {@link SyncTimer}'s thread, one at a time.
 */
public final class ConfigWatcher implements AutoCloseable {

    /** How long the source must stay untouched before an edit is loaded. */
    public static final Duration QUIET = Duration.ofMillis(300);

    private static final Logger LOG = LoggerFactory.getLogger(ConfigWatcher.class);

    /** Hears about settled edits. Called on the timer's thread; must not block for long. */
    public interface Listener {
        /** The source changed and holds a valid configuration. */
        void changed(MirrorConfig config);

        /** The source changed and does not validate; the running configuration stays. */
        void invalid(ConfigException problems);
    }

    private final Path source;
    private final ConfigLoader loader;
    private final Listener listener;
    private final WatchService watch;
    private final Debouncer debouncer;
    private final Thread thread;
    private byte[] fingerprint;

    private ConfigWatcher(Path source, ConfigLoader loader, SyncTimer timer, Duration quiet, Listener listener)
            throws IOException {
        this.source = source.toAbsolutePath().normalize();
        this.loader = loader;
        this.listener = listener;
        this.fingerprint = fingerprint(this.source);
        this.debouncer = new Debouncer(timer, quiet, this::reload);
        Path dir = Files.isDirectory(this.source) ? this.source : this.source.getParent();
        this.watch = dir.getFileSystem().newWatchService();
        try {
            dir.register(watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                    StandardWatchEventKinds.ENTRY_DELETE);
        } catch (IOException | RuntimeException e) {
            watch.close();
            throw e;
        }
        this.thread = new Thread(this::loop, "config-watch");
        thread.setDaemon(true);
    }

    /**
     * Starts watching {@code source}; its current bytes are taken as the configuration running now.
     *
     * @param quiet how long the source must stay untouched before an edit is loaded ({@link #QUIET})
     * @throws IOException if the directory cannot be watched
     */
    public static ConfigWatcher start(Path source, ConfigLoader loader, SyncTimer timer, Duration quiet,
                                      Listener listener) throws IOException {
        ConfigWatcher w = new ConfigWatcher(source, loader, timer, quiet, listener);
        w.thread.start();
        LOG.info("watching {} for configuration edits", w.source);
        return w;
    }

    private void loop() {
        try {
            while (true) {
                WatchKey key = watch.take();
                key.pollEvents();
                debouncer.poke();
                if (!key.reset()) {
                    LOG.warn("{} can no longer be watched (directory gone?); configuration edits are not followed "
                            + "until the next mount", source);
                    return;
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closing
        }
    }

    /** Loads the source if its bytes changed since the last load, and tells the listener. */
    private void reload() {
        byte[] now;
        try {
            now = fingerprint(source);
        } catch (IOException e) {
            LOG.debug("cannot read {} yet: {}", source, e.toString());
            now = new byte[0];
        }
        synchronized (this) {
            if (Arrays.equals(now, fingerprint)) {
                return;
            }
            fingerprint = now;
        }
        MirrorConfig config;
        try {
            config = loader.load(source);
        } catch (ConfigException e) {
            LOG.warn("configuration edit ignored, the running configuration stays:\n{}",
                    e.getMessage().indent(2).stripTrailing());
            listener.invalid(e);
            return;
        }
        LOG.info("configuration {} changed; applying", source);
        listener.changed(config);
    }

    /**
     * A digest of the YAML that {@code source} names: the file's bytes, or the names and bytes of a
     * directory's {@code *.yaml}/{@code *.yml} files. Symlinks are followed.
     */
    static byte[] fingerprint(Path source) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        if (!Files.isDirectory(source)) {
            md.update(Files.exists(source) ? Files.readAllBytes(source) : new byte[0]);
            return md.digest();
        }
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(source)) {
            for (Path p : entries) {
                String n = p.getFileName().toString();
                if ((n.endsWith(".yaml") || n.endsWith(".yml")) && !n.startsWith(".") && Files.isRegularFile(p)) {
                    files.add(p);
                }
            }
        }
        files.sort(null);
        for (Path p : files) {
            md.update(p.getFileName().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            md.update((byte) 0);
            md.update(Files.readAllBytes(p));
            md.update((byte) 0);
        }
        return md.digest();
    }

    @Override
    public void close() {
        debouncer.close();
        try {
            watch.close();
        } catch (IOException e) {
            LOG.debug("closing the watch service: {}", e.toString());
        }
        thread.interrupt();
    }
}
