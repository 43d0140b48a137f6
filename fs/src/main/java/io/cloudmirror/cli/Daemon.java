package io.cloudmirror.cli;

import io.cloudmirror.blocks.ReadSettings;
import io.cloudmirror.config.MirrorConfig;
import io.cloudmirror.config.SubvolumeConfig;
import io.cloudmirror.fs.MirrorFileSystem;
import io.cloudmirror.fs.Subvolume;
import io.cloudmirror.fuse.FuseAdapter;
import io.cloudmirror.sync.SyncListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One mount in the foreground: opens every subvolume (index, origin, syncer), mounts the FUSE adapter,
 * reports readiness once the kernel serves the mount point, runs the start-up sync the configuration
 * asks for, and on unmount or SIGTERM/SIGINT closes everything in order.
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
    private final ExecutorService syncPool = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "sync");
        t.setDaemon(true);
        return t;
    });
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final CountDownLatch unmounted = new CountDownLatch(1);

    Daemon(MirrorConfig config, Path mountpoint, MountOptions options, Path readyFile) {
        this.config = config;
        this.mountpoint = mountpoint.toAbsolutePath().normalize();
        this.options = options;
        this.readyFile = readyFile;
    }

    /** Serves the mount until it is unmounted; returns the process exit code. */
    int run() throws IOException {
        List<Subvolume> subvolumes = new ArrayList<>();
        MirrorFileSystem fs;
        try {
            for (SubvolumeConfig s : config.subvolumes()) {
                SubvolumeRuntime r = SubvolumeRuntime.open(s, clock, SyncListener.NONE,
                        ReadSettings.defaults().withReadTimeout(options.readTimeoutDuration()));
                runtimes.add(r);
                subvolumes.add(r.subvolume());
            }
            fs = new MirrorFileSystem(subvolumes, options.ownership(), clock.instant());
        } catch (IOException | RuntimeException e) {
            closeAll();
            throw e;
        }
        FuseAdapter adapter = new FuseAdapter(fs);
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
        if (readyFile != null) {
            Files.writeString(readyFile, ProcessHandle.current().pid() + "\n");
        }
        startupSyncs();
        try {
            unmounted.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.info("unmounted {}", mountpoint);
        fs.close();
        closeAll();
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

    /** Runs the sync each subvolume asks for at start: a oneshot UUID not yet honoured. */
    private void startupSyncs() {
        for (SubvolumeRuntime r : runtimes) {
            String name = r.config().name();
            if (!r.oneshotPending()) {
                LOG.info("{}: no start-up sync requested; backend {}", name, r.origin().probe().connection().display());
                continue;
            }
            syncPool.submit(() -> {
                try {
                    r.syncer().syncNow();
                    r.markOneshotApplied();
                } catch (IOException | RuntimeException e) {
                    LOG.warn("{}: start-up sync failed: {}", name, e.getMessage());
                }
            });
        }
    }

    /** Unmounts (from the shutdown hook) and waits for the loop to end. */
    private void stop(Thread loop) {
        if (!stopping.compareAndSet(false, true) || unmounted.getCount() == 0) {
            return;
        }
        LOG.info("stopping: unmounting {}", mountpoint);
        if (!Mounts.unmount(mountpoint, false) && stillMounted()) {
            LOG.warn("{} is busy; detaching it lazily", mountpoint);
            Mounts.unmount(mountpoint, true);
        }
        try {
            if (!unmounted.await(15, TimeUnit.SECONDS)) {
                LOG.warn("the FUSE loop did not end in time");
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
        syncPool.shutdownNow();
        try {
            syncPool.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (SubvolumeRuntime r : runtimes) {
            r.close();
        }
        runtimes.clear();
    }
}
