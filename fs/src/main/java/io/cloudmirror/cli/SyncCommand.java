package io.cloudmirror.cli;

import io.cloudmirror.control.ControlClient;
import io.cloudmirror.control.ControlProtocol.Request;
import io.cloudmirror.control.ControlProtocol.Response;
import io.cloudmirror.control.ControlProtocol.SyncResult;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cloudmirror sync [SUBVOLUME|MOUNTPOINT] [--no-wait]}: asks the daemon serving it to sync now, as a
 * new oneshot UUID would, without editing anything. Waits for the result, showing progress on a terminal,
 * unless {@code --no-wait}. Exit 0 when every sync published (or was accepted), 1 when one failed or no
 * daemon serves the argument, 2 for bad usage (including an argument that several daemons match).
 */
@Command(name = "sync", mixinStandardHelpOptions = true,
        description = "Sync now: all subvolumes of the one running mount, or those of SUBVOLUME or MOUNTPOINT.")
final class SyncCommand implements Callable<Integer> {

    /** How long the daemon may send nothing while a sync is followed (it reports every 250 ms). */
    private static final Duration IDLE = Duration.ofSeconds(60);

    @Parameters(index = "0", arity = "0..1", paramLabel = "SUBVOLUME|MOUNTPOINT",
            description = "a subvolume name (metadata.name), a mount point, or a path in a subvolume")
    String target;

    @Option(names = "--no-wait", description = "return once the sync is requested")
    boolean noWait;

    @Option(names = "--progress", description = "show progress even when not on a terminal")
    boolean progress;

    @Override
    public Integer call() throws Exception {
        List<Daemons.Selection> selected = Daemons.selectOrSay(target, false, System.err);
        if (selected.isEmpty()) {
            return 1;
        }
        if (selected.size() > 1) {
            String which = selected.stream().map(s -> String.join(", ", s.subvolumes()) + " on " + s.daemon().mountpoint())
                    .collect(Collectors.joining("; "));
            System.err.println("cloudmirror: " + (target == null ? selected.size() + " mounts are running"
                    : "\"" + target + "\" is served by " + selected.size() + " mounts") + " (" + which
                    + "); name one: cloudmirror sync MOUNTPOINT, or a path in the subvolume");
            return 2;
        }
        Daemons.Selection s = selected.get(0);
        boolean tty = System.console() != null;
        Outcome outcome = new Outcome(tty || progress ? System.err : null, tty);
        try {
            ControlClient.call(s.daemon().socket(), Request.sync(s.subvolumes(), !noWait), IDLE, outcome::take);
        } catch (ControlClient.Unreachable e) {
            outcome.clearLine();
            System.err.println("cloudmirror: " + e.getMessage());
            return 1;
        }
        outcome.clearLine();
        return outcome.exit(s);
    }

    /**
     * Collects the daemon's answer, showing progress as it comes: rewritten in place on a terminal, else (with
     * {@code --progress}) as a line whenever it changed, at most once a second.
     */
    private static final class Outcome {
        private final PrintStream progress;
        private final boolean tty;
        private boolean drawn;
        private String lastLine = "";
        private long lastPrinted;
        private Response last;

        Outcome(PrintStream progress, boolean tty) {
            this.progress = progress;
            this.tty = tty;
        }

        boolean take(Response r) {
            if ("progress".equals(r.type())) {
                if (progress == null) {
                    return true;
                }
                String line = ProgressLine.format(r.progress());
                if (tty) {
                    progress.print("\r\033[K" + line);
                    drawn = true;
                } else if (!line.equals(lastLine) && System.nanoTime() - lastPrinted > 1_000_000_000L) {
                    progress.println(line);
                    lastLine = line;
                    lastPrinted = System.nanoTime();
                }
                progress.flush();
                return true;
            }
            last = r;
            return false;
        }

        void clearLine() {
            if (drawn) {
                progress.print("\r\033[K");
                progress.flush();
                drawn = false;
            }
        }

        int exit(Daemons.Selection s) {
            if (last == null) {
                System.err.println("cloudmirror: the daemon on " + s.daemon().mountpoint()
                        + " stopped answering before the sync ended");
                return 1;
            }
            switch (last.type()) {
                case "accepted" -> {
                    System.out.println("sync requested: " + String.join(", ", last.accepted()) + " on "
                            + s.daemon().mountpoint());
                    return 0;
                }
                case "result" -> {
                    boolean ok = true;
                    for (SyncResult r : last.results()) {
                        (r.ok() ? System.out : System.err).println(ProgressLine.result(r));
                        ok &= r.ok();
                    }
                    return ok ? 0 : 1;
                }
                case "error" -> {
                    System.err.println("cloudmirror: " + last.message());
                    return 1;
                }
                default -> {
                    System.err.println("cloudmirror: unexpected answer \"" + last.type() + "\" from the daemon");
                    return 1;
                }
            }
        }
    }
}
