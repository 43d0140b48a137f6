package io.cloudmirror.cli;

import io.cloudmirror.blocks.ReadSettings;
import io.cloudmirror.config.MirrorConfig;
import io.cloudmirror.config.SubvolumeConfig;
import io.cloudmirror.fs.MirrorFileSystem;
import io.cloudmirror.fs.Subvolume;
import io.cloudmirror.fuse.FuseAdapter;
import io.cloudmirror.sync.SyncListener;
import io.cloudmirror.sync.SyncTimer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One mount in the foreground: opens every subvolume (index, origin, syncer), mounts the FUSE adapter,
 * reports readiness once the kernel serves the mount point (the ready file, and systemd's {@code READY=1}),
 * runs the start-up sync the configuration asks for, and on unmount or SIGTERM/SIGINT closes everything in
 * order.
 *
 * <p>Thread model: the caller's thread blocks in {@link #run} while libfuse runs its loop on a dedicated
 * thread; syncs run on a small executor; the JVM shutdown hook unmounts.
 */
final class Daemon {

    private static final Logger LOG = LoggerFactory.getLogger(Daemon.class);

    private final MirrorConfig config;
    private final Path mountpoint;
    private final MountOptions options;
    private final Path readyFile;
    private final Clock clock = Clock.systemUTC();
    private final List<SubvolumeRuntime> runtimes = new ArrayList<>();
    private final ScheduledExecutorService timerThread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "sync-timer");
        t.setDaemon(true);
        return t;
    });
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final Operations operations;
    private final CountDownLatch unmounted = new CountDownLatch(1);
    /** Counted down once {@link #run} has closed everything after the unmount; the shutdown hook waits for it. */
    private final CountDownLatch closed = new CountDownLatch(1);

    Daemon(MirrorConfig config, Path mountpoint, MountOptions options, Path readyFile) {
        this.config = config;
        this.mountpoint = mountpoint.toAbsolutePath().normalize();
        this.options = options;
        this.readyFile = readyFile;
        this.operations = new Operations(config, this.mountpoint, clock);
    }

    /** Serves the mount until it is unmounted; returns the process exit code. */
    int run() throws IOException {
        List<Subvolume> subvolumes = new ArrayList<>();
        MirrorFileSystem fs;
        Map<String, String> tops = new HashMap<>();
        for (SubvolumeConfig s : config.subvolumes()) {
            tops.put(s.name(), s.path().split("/", 2)[0]);
        }
        KernelInvalidation invalidation = new KernelInvalidation(tops);
        // Bind libfuse while the indexes open: both are mostly class loading, and there are two cores.
        CompletableFuture<FuseAdapter> binding = CompletableFuture.supplyAsync(FuseAdapter::new, r -> {
            Thread t = new Thread(r, "fuse-bind");
            t.setDaemon(true);
            t.start();
        });
        try {
            operations.serveMetrics(options.metrics());
            for (SubvolumeConfig s : config.subvolumes()) {
                SubvolumeRuntime r = SubvolumeRuntime.open(s, clock, SyncTimer.of(clock, timerThread),
                        SyncListener.all(List.of(invalidation)), operations.metrics(),
                        ReadSettings.defaults().withReadTimeout(options.readTimeoutDuration()));
                runtimes.add(r);
                subvolumes.add(r.subvolume());
            }
            fs = new MirrorFileSystem(subvolumes, options.ownership(), clock.instant());
        } catch (IOException | RuntimeException e) {
            closeAll();
            throw e;
        }
        FuseAdapter adapter;
        try {
            adapter = binding.join().serve(fs);
        } catch (RuntimeException e) {
            closeAll();
            throw new IOException("cannot load libfuse 3 (is the libfuse3-3 package installed?): " + e.getMessage(), e);
        }
        invalidation.attach(adapter);
        String fsname = runtimes.size() == 1 ? runtimes.get(0).origin().displayName()
                : "cloudmirror:" + config.source().getFileName();
        List<String> args = options.fuseArguments(fsname);
        AtomicReference<Throwable> mountFailure = new AtomicReference<>();
        Thread loop = new Thread(() -> {
            try {
                adapter.mount(mountpoint, true, options.debug(), args.toArray(String[]::new));
            } catch (Throwable t) {
                mountFailure.set(t);
            } finally {
                unmounted.countDown();
            }
        }, "fuse-loop");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(loop), "shutdown"));
        LOG.info("mounting {} on {} ({})", config.source(), mountpoint, String.join(" ", args));
        loop.start();
        if (!awaitMounted(loop)) {
            Throwable t = mountFailure.get();
            closeAll();
            throw new IOException("mounting " + mountpoint + " failed" + (t == null ? " (see the messages above)"
                    : ": " + t.getMessage()), t);
        }
        Files.readAttributes(mountpoint, "basic:isDirectory");
        LOG.info("mount live on {}: {} subvolume(s)", mountpoint, subvolumes.size());
        UnmountWatcher.start(mountpoint);
        if (readyFile != null) {
            Files.createDirectories(readyFile.getParent());
            Files.writeString(readyFile, ProcessHandle.current().pid() + "\n");
        }
        operations.start(runtimes, fs, SyncTimer.of(clock, timerThread));
        SystemdNotify.tell("READY=1\nSTATUS=serving " + mountpoint);
        startupSyncs();
        try {
            unmounted.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.info("unmounted {}", mountpoint);
        try {
            fs.close();
            closeAll();
        } finally {
            closed.countDown();
        }
        return mountFailure.get() == null ? 0 : 1;
    }

    private boolean awaitMounted(Thread loop) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            var entry = Mounts.at(mountpoint);
            if (entry.isPresent() && entry.get().fstype().equals("fuse.cloudmirror")) {
                return true;
            }
            if (!loop.isAlive()) {
                return false;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    /** Starts each subvolume's schedule, with the start-up sync its configuration asks for. */
    private void startupSyncs() {
        for (SubvolumeRuntime r : runtimes) {
            r.startSchedule(clock);
        }
    }

    /** Unmounts (from the shutdown hook) and waits for the loop to end and {@link #run} to close everything. */
    private void stop(Thread loop) {
        if (!stopping.compareAndSet(false, true) || unmounted.getCount() == 0) {
            return;
        }
        LOG.info("stopping: unmounting {}", mountpoint);
        SystemdNotify.tell("STOPPING=1");
        if (!Mounts.unmount(mountpoint, false) && stillMounted()) {
            LOG.warn("{} is busy; detaching it lazily", mountpoint);
            Mounts.unmount(mountpoint, true);
        }
        try {
            if (!unmounted.await(15, TimeUnit.SECONDS)) {
                LOG.warn("the FUSE loop did not end in time");
            } else if (!closed.await(15, TimeUnit.SECONDS)) { // the JVM halts when this hook returns
                LOG.warn("closing the subvolumes did not end in time");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private boolean stillMounted() {
        try {
            return Mounts.at(mountpoint).filter(e -> e.fstype().equals("fuse.cloudmirror")).isPresent();
        } catch (IOException e) {
            return true;
        }
    }

    private void closeAll() {
        operations.close();
        timerThread.shutdownNow();
        for (SubvolumeRuntime r : runtimes) {
            r.close();
        }
        runtimes.clear();
    }
}
