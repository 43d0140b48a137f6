package io.cloudmirror.fuse;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Sorts libfuse-style arguments ({@code -o a,b=c}, {@code -d}) into what libfuse 3's session takes and what
 * the adapter applies itself: the kernel cache timeouts, which libfuse 2 and libfuse 3's high-level library
 * parsed, are answers of the low-level adapter here. Options that only those libraries knew are dropped (and
 * listed), so that a mount written for them still mounts. Immutable.
 *
 * @param sessionArgs     for {@code fuse_session_new}, after {@code argv[0]}
 * @param attrTimeout     seconds the kernel may cache attributes
 * @param entryTimeout    seconds the kernel may cache a name
 * @param negativeTimeout seconds the kernel may cache that a name does not exist
 * @param dropped         options given that libfuse 3's low-level API does not have
 * @param openRequests    {@code open_requests}: have the kernel send OPEN and RELEASE for every open file even
 *                        where it could open files itself
 */
public record FuseArgs(List<String> sessionArgs, double attrTimeout, double entryTimeout, double negativeTimeout,
                List<String> dropped, boolean openRequests) {

    /** Options of the libfuse 2 and libfuse 3 high-level libraries that have no low-level meaning. */
    private static final Set<String> HIGH_LEVEL_ONLY = Set.of("use_ino", "readdir_ino", "kernel_cache", "auto_cache",
            "noauto_cache", "hard_remove", "intr", "intr_signal", "direct_io", "large_read", "nonempty",
            "ac_attr_timeout", "noforget", "remember", "modules", "nullpath_ok", "no_rofd_flush", "umask", "uid",
            "gid", "big_writes");

    public FuseArgs {
        sessionArgs = List.copyOf(sessionArgs);
        dropped = List.copyOf(dropped);
    }

    /** Sorts {@code args}; libfuse's defaults (1 s, 1 s, 0 s) apply to timeouts not given. */
    static FuseArgs of(String... args) {
        List<String> session = new ArrayList<>();
        List<String> kept = new ArrayList<>();
        List<String> dropped = new ArrayList<>();
        double attr = 1;
        double entry = 1;
        double negative = 0;
        boolean openRequests = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String options = a.equals("-o") && i + 1 < args.length ? args[++i]
                    : a.startsWith("-o") && a.length() > 2 ? a.substring(2) : null;
            if (options != null) {
                for (String o : options.split(",")) {
                    if (o.isEmpty()) {
                        continue;
                    }
                    int eq = o.indexOf('=');
                    String name = eq < 0 ? o : o.substring(0, eq);
                    String value = eq < 0 ? "" : o.substring(eq + 1);
                    switch (name) {
                        case "attr_timeout" -> attr = seconds(o, value);
                        case "entry_timeout" -> entry = seconds(o, value);
                        case "negative_timeout" -> negative = seconds(o, value);
                        case "open_requests" -> openRequests = true;
                        default -> {
                            if (HIGH_LEVEL_ONLY.contains(name)) {
                                dropped.add(o);
                            } else {
                                kept.add(o);
                            }
                        }
                    }
                }
            } else if (a.equals("-f") || a.equals("-s")) {
                continue; // the adapter always runs in the foreground, with its own threads
            } else {
                session.add(a);
            }
        }
        if (!kept.isEmpty()) {
            session.add("-o");
            session.add(String.join(",", kept));
        }
        return new FuseArgs(session, attr, entry, negative, dropped, openRequests);
    }

    /**
     * A timeout option's value: a finite, non-negative number of seconds (the mount command's options and these
     * share it).
     *
     * @throws IllegalArgumentException naming {@code option} otherwise
     */
    public static double seconds(String option, String value) {
        try {
            double d = Double.parseDouble(value.strip());
            if (d >= 0 && Double.isFinite(d)) {
                return d;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("mount option \"" + option + "\": expected a number of seconds");
    }
}
