package io.cloudmirror.cli;

import io.cloudmirror.config.ConfigException;
import io.cloudmirror.config.ConfigLoader;
import io.cloudmirror.config.MirrorConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cloudmirror mount SOURCE MOUNTPOINT [-o opts] [-f]}: checks the configuration and the mount
 * point, then serves the mount in the foreground ({@code -f}) or starts the daemon in the background and
 * returns once the mount is live.
 */
@Command(name = "mount", mixinStandardHelpOptions = true,
        description = "Mount the MirrorSubvolume(s) in SOURCE (a YAML file or a directory of them) on MOUNTPOINT.")
final class MountCommand implements Callable<Integer> {

    /** How long a mount already on the mount point may take to answer before it counts as live but busy. */
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(5);

    @Parameters(index = "0", paramLabel = "SOURCE", description = "MirrorSubvolume YAML file or directory")
    Path source;

    @Parameters(index = "1", paramLabel = "MOUNTPOINT", description = "an existing directory")
    Path mountpoint;

    @Option(names = "-o", paramLabel = "OPTIONS", description = "comma-separated mount options (repeatable)")
    List<String> options = new ArrayList<>();

    @Option(names = {"-f", "--foreground"}, description = "stay in the foreground and log to stderr")
    boolean foreground;

    @Option(names = "--ready-file", hidden = true, description = "written once the mount is live (internal)")
    Path readyFile;

    @Override
    public Integer call() throws Exception {
        MirrorConfig config;
        try {
            config = ConfigLoader.forThisProcess().load(source);
        } catch (ConfigException e) {
            System.err.println("cloudmirror: invalid configuration:");
            System.err.println(e.getMessage().indent(2).stripTrailing());
            return 2;
        }
        MountOptions opts;
        try {
            opts = MountOptions.parse(options, (int) RuntimePaths.uid(), (int) RuntimePaths.gid());
        } catch (IllegalArgumentException e) {
            System.err.println("cloudmirror: " + e.getMessage());
            return 2;
        }
        Path mnt = mountpoint.toAbsolutePath().normalize();
        String problem = checkMountpoint(mnt);
        if (problem != null) {
            System.err.println("cloudmirror: " + problem);
            return 2;
        }
        if (foreground) {
            return new Daemon(config, mnt, opts, readyFile).run();
        }
        Path log = opts.logFile() != null ? opts.logFile() : RuntimePaths.defaultLogFile(mnt);
        Path ready = RuntimePaths.runtimeDir().resolve("ready-" + UUID.randomUUID());
        List<String> args = new ArrayList<>(List.of("mount", "-f", "--ready-file", ready.toString(),
                source.toAbsolutePath().toString(), mnt.toString()));
        if (!options.isEmpty()) {
            args.add("-o");
            args.add(MountOptions.join(options));
        }
        return Launcher.spawnAndWait(args, log, ready);
    }

    /**
     * Null if {@code mnt} can be mounted on, else why not. A cloudmirror mount left behind by a daemon that is
     * gone (killed without auto_unmount's watcher) is unmounted first, so a restart needs no manual step.
     */
    private static String checkMountpoint(Path mnt) throws IOException, InterruptedException {
        var existing = Mounts.at(mnt);
        if (existing.isPresent() && existing.get().fstype().equals("fuse.cloudmirror")) {
            var dead = Mounts.deadReason(mnt, PROBE_TIMEOUT);
            if (dead.isEmpty()) {
                return mnt + " is already a cloudmirror mount (" + existing.get().source() + "); unmount it first";
            }
            System.err.println("cloudmirror: " + mnt + " is a dead cloudmirror mount (" + dead.get()
                    + "): its daemon is gone; unmounting it");
            if (!Mounts.unmount(mnt, false) && !Mounts.unmount(mnt, true)) {
                return "cannot unmount the dead mount on " + mnt + "; try: umount -l " + mnt;
            }
        }
        if (!Files.isDirectory(mnt)) {
            return "mount point " + mnt + " is not a directory";
        }
        return null;
    }

}
