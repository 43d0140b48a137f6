package io.cloudmirror.cli;

import io.cloudmirror.fs.Ownership;
import io.cloudmirror.fuse.FuseArgs;
import io.cloudmirror.metrics.MetricsEndpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code -o} options of a mount, sorted into what libfuse gets, what the core applies (owner, group,
 * umask), what cloudmirror itself uses, and what mount(8), fstab and systemd add that a FUSE filesystem
 * ignores. Immutable.
 *
 * @param fuse            options handed to libfuse, without the defaults that {@link #fuseArguments} adds
 * @param ownership       uid, gid and umask of every path
 * @param logFile         where a background daemon logs, or {@code null} for the default
 * @param attrTimeout     seconds the kernel may cache attributes
 * @param entryTimeout    seconds the kernel may cache name lookups
 * @param negativeTimeout seconds the kernel may cache failed lookups
 * @param debug           libfuse debug output
 * @param ignored         options recognised and deliberately not used, for the log
 * @param readTimeout     seconds a read waits for bytes that are not cached before failing with EIO
 * @param metrics         where to serve Prometheus metrics ({@code metrics=}), or {@code null} for nowhere
 */
public record MountOptions(List<String> fuse, Ownership ownership, Path logFile, double attrTimeout,
                           double entryTimeout, double negativeTimeout, boolean debug, List<String> ignored,
                           double readTimeout, MetricsEndpoint.Address metrics) {

    /** Options passed on to libfuse (FuseArgs drops, with a debug line, those of libfuse 2 that libfuse 3 has no more). */
    private static final Set<String> FUSE_FLAGS = Set.of("allow_other", "allow_root", "kernel_cache", "auto_cache",
            "async_read", "sync_read", "hard_remove", "intr", "large_read", "nonempty", "auto_unmount", "direct_io",
            "dev", "nodev", "suid", "nosuid", "exec", "noexec", "async", "sync", "atime", "noatime", "dirsync",
            "open_requests");
    private static final Set<String> FUSE_VALUED = Set.of("max_read", "max_readahead", "intr_signal", "blksize",
            "fsname", "subtype", "max_background", "congestion_threshold");
    /** Options of mount(8), fstab and systemd that mean nothing to a FUSE filesystem. */
    private static final Set<String> IGNORED = Set.of("defaults", "auto", "noauto", "user", "users", "nouser", "owner",
            "group", "_netdev", "nofail", "relatime", "norelatime", "strictatime", "nostrictatime", "nodiratime",
            "diratime", "lazytime", "nolazytime", "ro", "default_permissions", "use_ino", "readdir_ino", "silent",
            "loud", "iversion", "noiversion", "mand", "nomand");

    /**
     * Default kernel cache timeouts, in seconds: long, because every publish that changes a subvolume's
     * tree invalidates what the kernel cached under it (see KernelInvalidation), so warm {@code find} and
     * {@code ls -lR} are served by the kernel without going stale.
     */
    static final double ATTR_TIMEOUT = 3600;
    static final double ENTRY_TIMEOUT = 3600;
    static final double NEGATIVE_TIMEOUT = 60;
    /** Default read timeout, in seconds. */
    static final double READ_TIMEOUT = 10.0;

    /**
     * Parses {@code -o} values (each may hold several comma-separated options).
     *
     * @param defaultUid owner when no {@code uid=} is given
     * @param defaultGid group when no {@code gid=} is given
     * @throws IllegalArgumentException naming the option and what was expected
     */
    public static MountOptions parse(List<String> values, int defaultUid, int defaultGid) {
        List<String> fuse = new ArrayList<>();
        List<String> ignored = new ArrayList<>();
        int uid = defaultUid;
        int gid = defaultGid;
        int umask = 0;
        Path logFile = null;
        double attr = ATTR_TIMEOUT;
        double entry = ENTRY_TIMEOUT;
        double negative = NEGATIVE_TIMEOUT;
        boolean debug = false;
        double readTimeout = READ_TIMEOUT;
        String metrics = null;
        boolean metricsBindAny = false;
        for (String value : values) {
            for (String opt : value.split(",")) {
                String o = opt.strip();
                if (o.isEmpty()) {
                    continue;
                }
                int eq = o.indexOf('=');
                String key = eq < 0 ? o : o.substring(0, eq);
                String arg = eq < 0 ? null : o.substring(eq + 1);
                switch (key) {
                    case "uid" -> uid = integer(o, arg, 10);
                    case "gid" -> gid = integer(o, arg, 10);
                    case "umask" -> umask = integer(o, arg, 8) & 0777;
                    case "attr_timeout" -> attr = seconds(o, arg);
                    case "entry_timeout" -> entry = seconds(o, arg);
                    case "negative_timeout" -> negative = seconds(o, arg);
                    case "read_timeout" -> {
                        readTimeout = seconds(o, arg);
                        if (readTimeout < 0.1 || readTimeout > 3600) {
                            throw new IllegalArgumentException("mount option \"" + o + "\": expected a number of "
                                    + "seconds from 0.1 to 3600");
                        }
                    }
                    case "log_file" -> logFile = Path.of(require(o, arg));
                    case "debug" -> debug = true;
                    case "metrics" -> metrics = arg == null ? "" : arg;
                    case "metrics_bind_any" -> metricsBindAny = true;
                    case "rw" -> ignored.add(o + " (cloudmirror is read-only)");
                    default -> {
                        if (FUSE_FLAGS.contains(key) && arg == null) {
                            fuse.add(o);
                        } else if (FUSE_VALUED.contains(key) && arg != null) {
                            fuse.add(o);
                        } else if (IGNORED.contains(key) || key.startsWith("x-") || key.startsWith("comment")) {
                            ignored.add(o);
                        } else {
                            throw new IllegalArgumentException("unknown mount option \"" + o + "\"; cloudmirror takes "
                                    + "uid=, gid=, umask=, allow_other, allow_root, attr_timeout=, entry_timeout=, "
                                    + "negative_timeout=, read_timeout=, log_file=, metrics=, metrics_bind_any, "
                                    + "open_requests, the libfuse options and the generic mount options");
                        }
                    }
                }
            }
        }
        if (metricsBindAny && metrics == null) {
            throw new IllegalArgumentException("mount option \"metrics_bind_any\" needs metrics=HOST:PORT too");
        }
        MetricsEndpoint.Address endpoint = metrics == null ? null : MetricsEndpoint.Address.parse(metrics, metricsBindAny);
        return new MountOptions(List.copyOf(fuse), new Ownership(uid, gid, umask), logFile, attr, entry, negative, debug,
                List.copyOf(ignored), readTimeout, endpoint);
    }

    /** {@link #readTimeout()} as a duration. */
    public java.time.Duration readTimeoutDuration() {
        return java.time.Duration.ofMillis(Math.round(readTimeout * 1000));
    }

    /** Whether other users may access the mount. */
    public boolean allowOther() {
        return fuse.contains("allow_other") || fuse.contains("allow_root");
    }

    /**
     * The {@code -o} argument for libfuse: our defaults, then the user's options (which win). The defaults
     * include {@code auto_unmount}: libfuse then mounts through fusermount, whose watcher process unmounts as
     * soon as the daemon is gone, so a crashed or killed daemon leaves no dead mount behind.
     */
    public List<String> fuseArguments(String fsname) {
        Map<String, String> opts = new LinkedHashMap<>();
        opts.put("ro", null);
        opts.put("default_permissions", null);
        opts.put("fsname", fsname.replace(",", "_"));
        opts.put("subtype", "cloudmirror");
        opts.put("auto_unmount", null);
        opts.put("attr_timeout", format(attrTimeout));
        opts.put("entry_timeout", format(entryTimeout));
        opts.put("negative_timeout", format(negativeTimeout));
        for (String o : fuse) {
            int eq = o.indexOf('=');
            opts.put(eq < 0 ? o : o.substring(0, eq), eq < 0 ? null : o.substring(eq + 1));
        }
        StringBuilder sb = new StringBuilder();
        opts.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ",").append(k).append(v == null ? "" : "=" + v));
        return List.of("-o", sb.toString());
    }

    /** These options as one comma-separated {@code -o} value, for passing them on to a child process. */
    public static String join(List<String> values) {
        return String.join(",", values);
    }

    private static String format(double seconds) {
        return String.format(Locale.ROOT, "%s", seconds);
    }

    private static String require(String option, String arg) {
        if (arg == null || arg.isBlank()) {
            throw new IllegalArgumentException("mount option \"" + option + "\" needs a value");
        }
        return arg;
    }

    private static int integer(String option, String arg, int radix) {
        try {
            return Integer.parseInt(require(option, arg).strip(), radix);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("mount option \"" + option + "\": expected "
                    + (radix == 8 ? "an octal number such as 022" : "a number"));
        }
    }

    private static double seconds(String option, String arg) {
        return FuseArgs.seconds(option, require(option, arg));
    }
}
