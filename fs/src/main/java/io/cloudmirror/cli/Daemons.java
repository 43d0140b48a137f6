package io.cloudmirror.cli;

import io.cloudmirror.control.ControlClient;
import io.cloudmirror.control.ControlProtocol.Request;
import io.cloudmirror.control.ControlProtocol.Response;
import io.cloudmirror.control.ControlProtocol.SubvolumeState;
import io.cloudmirror.control.ControlSockets;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The running daemons as the command line finds them: every control socket in the runtime directory that
 * answers a status request (stale sockets of dead daemons are passed over), and which of their subvolumes
 * a {@code SUBVOLUME|MOUNTPOINT} argument names. Immutable.
 *
 * @param runtimeDir where the sockets were looked for
 * @param running    each answering daemon's socket and status
 */
record Daemons(Path runtimeDir, List<Daemons.Running> running) {

    /** How long a daemon may take to answer a status request (it waits at most ~2 s for probes). */
    static final Duration STATUS_IDLE = Duration.ofSeconds(15);

    /** One answering daemon. */
    record Running(Path socket, Response status) {
        String mountpoint() {
            return status.daemon().mountpoint();
        }
    }

    /** Which subvolumes of one daemon an argument names. */
    record Selection(Running daemon, List<String> subvolumes) {
    }

    /** Asks every daemon in {@code runtimeDir} for its status ({@code probe}: with fresh link states). */
    static Daemons find(Path runtimeDir, boolean probe) throws IOException {
        List<Running> out = new ArrayList<>();
        for (Path socket : ControlSockets.all(runtimeDir)) {
            try {
                for (Response r : ControlClient.ask(socket, Request.status(null, probe), STATUS_IDLE)) {
                    if ("status".equals(r.type()) && r.daemon() != null) {
                        out.add(new Running(socket, r));
                    }
                }
            } catch (ControlClient.Unreachable e) {
                // a stale socket of a daemon that died, or one that does not answer: not running
            }
        }
        out.sort((a, b) -> a.mountpoint().compareTo(b.mountpoint()));
        return new Daemons(runtimeDir, List.copyOf(out));
    }

    /**
     * The running daemons' subvolumes that {@code target} names (all when null), as the commands that talk to
     * a daemon want them; an empty list after saying on {@code err} why there are none (no daemon runs, or
     * none serves {@code target}).
     */
    static List<Selection> selectOrSay(String target, boolean probe, PrintStream err) throws IOException {
        Daemons daemons = find(RuntimePaths.runtimeDir(), probe);
        if (daemons.running().isEmpty()) {
            err.println("cloudmirror: " + daemons.noneRunning());
            return List.of();
        }
        List<Selection> selected = daemons.select(target);
        if (selected.stream().mapToInt(s -> s.subvolumes().size()).sum() == 0) {
            err.println("cloudmirror: no running daemon serves a subvolume or mount point \"" + target
                    + "\"; running: " + daemons.describe());
            return List.of();
        }
        return selected;
    }

    /** The message for "nothing runs", naming where we looked. */
    String noneRunning() {
        String msg = "no cloudmirror daemon is running (no control socket in " + runtimeDir + " answers)";
        if (!RuntimePaths.isRoot()) {
            msg += "; mounts started by root (mount -t fuse.cloudmirror, fstab) are seen only by root: try sudo";
        }
        return msg;
    }

    /**
     * The subvolumes {@code target} names, by daemon: all of them when it is null; those of the daemon mounted
     * there when it is a mount point; the one whose directory holds it when it is a path inside a subvolume;
     * else every subvolume of that name.
     */
    List<Selection> select(String target) {
        Map<Running, List<String>> chosen = new LinkedHashMap<>();
        if (target == null) {
            for (Running d : running) {
                chosen.put(d, names(d));
            }
        } else if (looksLikePath(target)) {
            List<Path> spellings = spellings(Path.of(target));
            for (Running d : running) {
                if (spellings.contains(Path.of(d.mountpoint()))) {
                    chosen.put(d, names(d));
                    continue;
                }
                for (SubvolumeState s : d.status().subvolumes()) {
                    Path dir = Path.of(s.path());
                    if (spellings.stream().anyMatch(p -> p.startsWith(dir))) {
                        chosen.computeIfAbsent(d, k -> new ArrayList<>()).add(s.name());
                    }
                }
            }
        } else {
            for (Running d : running) {
                for (SubvolumeState s : d.status().subvolumes()) {
                    if (s.name().equals(target)) {
                        chosen.computeIfAbsent(d, k -> new ArrayList<>()).add(s.name());
                    }
                }
            }
        }
        List<Selection> out = new ArrayList<>();
        chosen.forEach((d, names) -> out.add(new Selection(d, List.copyOf(names))));
        return out;
    }

    /** "media (/data), models (/data), other (/srv/x)": what runs, for error messages. */
    String describe() {
        List<String> all = new ArrayList<>();
        for (Running d : running) {
            for (SubvolumeState s : d.status().subvolumes()) {
                all.add(s.name() + " (" + d.mountpoint() + ")");
            }
        }
        return String.join(", ", all);
    }

    private static List<String> names(Running d) {
        return d.status().subvolumes().stream().map(SubvolumeState::name).toList();
    }

    private static boolean looksLikePath(String target) {
        return target.contains("/") || target.equals(".") || target.equals("..");
    }

    /** {@code p} absolute and normalized, and with symlinks resolved too (daemons report the first). */
    private static List<Path> spellings(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        try {
            return Files.exists(abs) ? List.of(abs, abs.toRealPath()) : List.of(abs);
        } catch (IOException e) {
            return List.of(abs);
        }
    }
}
