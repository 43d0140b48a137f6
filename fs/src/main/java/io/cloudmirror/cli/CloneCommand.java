package io.cloudmirror.cli;

import io.cloudmirror.blocks.BlockFileReader;
import io.cloudmirror.clone.CloneException;
import io.cloudmirror.clone.CloneSource;
import io.cloudmirror.clone.Cloner;
import io.cloudmirror.clone.MountedTree;
import io.cloudmirror.clone.OriginTree;
import io.cloudmirror.config.ConfigException;
import io.cloudmirror.config.ConfigLoader;
import io.cloudmirror.config.SubvolumeConfig;
import io.cloudmirror.control.ControlClient;
import io.cloudmirror.control.ControlProtocol.ManifestEntry;
import io.cloudmirror.control.ControlProtocol.Request;
import io.cloudmirror.control.ControlProtocol.Response;
import io.cloudmirror.control.ControlProtocol.SubvolumeState;
import io.cloudmirror.origin.BlobOrigin;
import io.cloudmirror.sync.Origins;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cloudmirror clone SUBVOLUME|MOUNTPOINT DEST}: copies the published tree of one subvolume of a
 * running mount into DEST as plain, writable files ({@link Cloner}). The tree comes from the daemon (its
 * control socket's manifest: paths, sizes, times, ETags, MD5s, tags of the published generation). The bytes
 * come from the daemon's block cache files and, for the blocks it lacks, straight from the origin
 * ({@link OriginTree}) when this process can read the daemon's configuration, secrets and cache directory;
 * otherwise, or with {@code --through-mount}, through the mount ({@link MountedTree}). Progress on stderr on a
 * terminal (or with {@code --progress}). Exit 0 when the copy is complete, 1 when it was refused or files
 * failed (run it again to resume), 2 for bad usage.
 */
@Command(name = "clone", mixinStandardHelpOptions = true,
        description = "Copy the published tree of a subvolume into DEST as plain, writable files (resumable).")
final class CloneCommand implements Callable<Integer> {

    private static final Duration IDLE = Duration.ofSeconds(60);

    @Parameters(index = "0", paramLabel = "SUBVOLUME|MOUNTPOINT",
            description = "a subvolume name (metadata.name), a mount point serving one subvolume, or a path in one")
    String target;

    @Parameters(index = "1", paramLabel = "DEST", description = "a new or empty directory outside the mirror")
    Path dest;

    @Option(names = "--force", description = "clone into a non-empty directory (files of the tree are replaced)")
    boolean force;

    @Option(names = "--parallel", defaultValue = "" + Cloner.Options.DEFAULT_PARALLELISM,
            description = "reads in flight at once (default ${DEFAULT-VALUE})")
    int parallel;

    @Option(names = "--progress", description = "show progress even when not on a terminal")
    boolean progress;

    @Option(names = "--through-mount", description = "read every file through the mount, not from the origin "
            + "and the block cache directly")
    boolean throughMount;

    @Override
    public Integer call() throws Exception {
        if (parallel < 1 || parallel > 256) {
            System.err.println("cloudmirror: --parallel expects 1 to 256, got " + parallel);
            return 2;
        }
        List<Daemons.Selection> selected = Daemons.selectOrSay(target, false, System.err);
        if (selected.isEmpty()) {
            return 1;
        }
        int count = selected.stream().mapToInt(s -> s.subvolumes().size()).sum();
        if (count > 1) {
            List<String> which = new ArrayList<>();
            selected.forEach(s -> s.subvolumes().forEach(n -> which.add(n + " (" + s.daemon().mountpoint() + ")")));
            System.err.println("cloudmirror: \"" + target + "\" names " + count + " subvolumes (" + String.join(", ", which)
                    + "); clone one: name it, or give a path in it");
            return 2;
        }
        Daemons.Selection s = selected.get(0);
        String name = s.subvolumes().get(0);
        SubvolumeState state = s.daemon().status().subvolumes().stream().filter(x -> x.name().equals(name))
                .findFirst().orElseThrow();

        List<ManifestEntry> entries = new ArrayList<>();
        Response[] last = new Response[1];
        try {
            ControlClient.call(s.daemon().socket(), Request.manifest(name), IDLE, r -> {
                if ("manifest".equals(r.type())) {
                    entries.addAll(r.entries());
                    return true;
                }
                last[0] = r;
                return false;
            });
        } catch (ControlClient.Unreachable e) {
            System.err.println("cloudmirror: " + e.getMessage());
            return 1;
        }
        if (last[0] == null || "error".equals(last[0].type())) {
            System.err.println("cloudmirror: " + (last[0] == null ? "the daemon on " + s.daemon().mountpoint()
                    + " stopped answering before it listed " + name : last[0].message()));
            return 1;
        }
        long generation = last[0].generation() == null ? 0 : last[0].generation();

        List<Path> mirrors = new ArrayList<>();
        for (Mounts.Entry m : Mounts.all()) {
            if (m.fstype().equals("fuse.cloudmirror")) {
                mirrors.add(m.mountpoint());
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(parallel, r -> {
            Thread t = new Thread(r, "clone");
            t.setDaemon(true);
            return t;
        });
        OriginTree direct = throughMount ? null : direct(s.daemon(), state, System.err);
        CloneSource source = direct != null ? direct : new MountedTree(Path.of(state.path()));
        Cloner cloner = new Cloner(source, pool,
                new Cloner.Options(parallel, Cloner.Options.DEFAULT_CHUNK, force), mirrors, CloneCommand::usable);
        boolean tty = System.console() != null;
        ScheduledExecutorService ticker = null;
        long start = System.nanoTime();
        if (tty || progress) {
            ticker = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "clone-progress");
                t.setDaemon(true);
                return t;
            });
            PrintStream err = System.err;
            ticker.scheduleAtFixedRate(() -> {
                String line = line(name, cloner.progress(), System.nanoTime() - start);
                err.print(tty ? "\r\033[K" + line : line + "\n");
                err.flush();
            }, tty ? 250 : 2000, tty ? 250 : 2000, TimeUnit.MILLISECONDS);
        }
        Cloner.Report report;
        try {
            report = cloner.run("subvolume " + name, entries, dest);
        } catch (CloneException e) {
            stop(ticker, tty);
            System.err.println("cloudmirror: clone refused, nothing written: " + e.getMessage());
            return 1;
        } finally {
            stop(ticker, tty);
            pool.shutdownNow();
            if (direct != null) {
                direct.close();
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (!report.xattrs()) {
            System.err.println("cloudmirror: " + dest + " does not support user xattrs: index tags were not copied");
        }
        if (!report.failures().isEmpty()) {
            System.err.println("cloudmirror: " + report.failures().size() + " of " + report.files()
                    + " files could not be copied:");
            report.failures().stream().limit(20).forEach(f -> System.err.println("  " + f));
            if (report.failures().size() > 20) {
                System.err.println("  ...");
            }
            System.err.println("run the same command again to resume: copied files are kept and skipped");
            return 1;
        }
        System.out.printf(Locale.ROOT, "%s: generation %d cloned into %s: %s files (%s) in %.1fs, %s/s%s; %s%n", name,
                generation, dest.toAbsolutePath().normalize(), Human.count(report.files()), Human.bytes(report.bytes()),
                seconds, Human.bytes(Math.round(report.bytes() / Math.max(seconds, 0.001))),
                report.resumed() > 0 ? "; " + Human.count(report.resumed()) + " already copied by an earlier run" : "",
                direct == null ? "read through the mount" : "read " + Human.bytes(direct.bytesFromCache())
                        + " from the block cache, " + Human.bytes(direct.bytesFromOrigin()) + " from the origin");
        return 0;
    }

    /**
     * Reading without the mount, as the daemon would: its configuration (the file or directory it was mounted
     * from) gives the origin and the secrets, its cache directory the blocks it holds. Null, after saying why
     * on {@code err}, when this process cannot (the configuration or a secret is unreadable here, or was edited
     * in a way the daemon has not applied): the clone then reads through the mount.
     */
    static OriginTree direct(Daemons.Running daemon, SubvolumeState state, PrintStream err) {
        String why;
        if (state.configIssue() != null && !state.configIssue().isEmpty()) {
            why = "its configuration was edited since it was mounted";
        } else {
            try {
                SubvolumeConfig config = ConfigLoader.forThisProcess().load(Path.of(daemon.status().daemon().source()))
                        .subvolumes().stream().filter(c -> c.name().equals(state.name())).findFirst().orElse(null);
                if (config == null) {
                    why = "its configuration file no longer names it";
                } else {
                    BlobOrigin origin = Origins.open(config, System::getenv);
                    BlockFileReader blocks = null;
                    if (state.cacheDirectory() != null) {
                        try {
                            blocks = BlockFileReader.open(Path.of(state.cacheDirectory(), "blocks"));
                        } catch (IOException e) {
                            err.println("cloudmirror: not reusing the block cache of " + state.name() + " ("
                                    + e.getMessage() + "); reading every file from the origin");
                        }
                    }
                    return new OriginTree(origin, blocks);
                }
            } catch (ConfigException e) {
                why = "its configuration does not load here: " + e.getMessage().lines().findFirst().orElse("");
            } catch (IOException | RuntimeException e) {
                why = e.getMessage();
            }
        }
        err.println("cloudmirror: reading " + state.name() + " through the mount (slower): " + why);
        return null;
    }

    private static void stop(ScheduledExecutorService ticker, boolean tty) {
        if (ticker != null && !ticker.isShutdown()) {
            ticker.shutdownNow();
            try {
                ticker.awaitTermination(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (tty) {
                System.err.print("\r\033[K");
                System.err.flush();
            }
        }
    }

    /** {@code media: cloning 120 of 4,000 files, 1.2Gi of 5.0Gi, 310Mi/s, ETA 12s}. */
    static String line(String name, Cloner.Progress p, long elapsedNanos) {
        double seconds = elapsedNanos / 1e9;
        StringBuilder sb = new StringBuilder(name).append(": cloning ").append(Human.count(p.filesDone())).append(" of ")
                .append(Human.count(p.files())).append(" files, ").append(Human.bytes(p.bytesDone())).append(" of ")
                .append(Human.bytes(p.bytes()));
        if (seconds >= 0.5 && p.bytesDone() > 0) {
            double rate = p.bytesDone() / seconds;
            sb.append(", ").append(Human.bytes(Math.round(rate))).append("/s");
            if (p.bytes() > p.bytesDone()) {
                sb.append(", ETA ").append(Human.duration(Duration.ofSeconds((long) Math.ceil((p.bytes() - p.bytesDone())
                        / rate))));
            }
        }
        return sb.toString();
    }

    private static long usable(Path p) {
        try {
            return Files.getFileStore(p).getUsableSpace();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
