package io.cloudmirror.cli;

import io.cloudmirror.control.ControlProtocol.SyncProgress;
import io.cloudmirror.control.ControlProtocol.SyncResult;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What {@code cloudmirror sync} prints: a one-line progress report that a terminal rewrites in place
 * (blobs listed, bytes prefetched, rate, ETA), and a result line per subvolume. Stateless.
 */
final class ProgressLine {

    private ProgressLine() {
    }

    /** The progress of every followed sync, on one line. */
    static String format(List<SyncProgress> progress) {
        return progress.stream().map(ProgressLine::format).collect(Collectors.joining(" | "));
    }

    /** One sync's progress, e.g. {@code media: listing 12,345 blobs (1.2Gi), 4,100/s, ETA 3s}. */
    static String format(SyncProgress p) {
        double seconds = p.elapsedMillis() / 1000.0;
        String elapsed = Human.duration(Duration.ofMillis(p.elapsedMillis()));
        return switch (p.phase()) {
            case "starting" -> p.name() + ": starting";
            case "waiting" -> p.name() + ": waiting for the sync in progress to end (" + elapsed + ")";
            case "listing" -> {
                StringBuilder sb = new StringBuilder(p.name()).append(": listing ").append(Human.count(p.listed()))
                        .append(p.expected() > 0 ? " of ~" + Human.count(p.expected()) : "").append(" blobs (")
                        .append(Human.bytes(p.listedBytes())).append(")");
                if (seconds >= 0.5 && p.listed() > 0) {
                    double rate = p.listed() / seconds;
                    sb.append(", ").append(Human.count(Math.round(rate))).append("/s");
                    if (p.expected() > p.listed()) {
                        sb.append(", ETA ").append(eta((p.expected() - p.listed()) / rate));
                    }
                }
                yield sb.toString();
            }
            case "publishing" -> p.name() + ": publishing " + Human.count(p.listed()) + " blobs (" + elapsed + ")";
            case "prefetching" -> {
                StringBuilder sb = new StringBuilder(p.name()).append(": prefetching ").append(Human.bytes(p.prefetched()))
                        .append(" of ").append(Human.bytes(p.prefetchTotal()));
                if (seconds >= 0.5 && p.prefetched() > 0) {
                    double rate = p.prefetched() / seconds;
                    sb.append(", ").append(Human.bytes(Math.round(rate))).append("/s");
                    if (p.prefetchTotal() > p.prefetched()) {
                        sb.append(", ETA ").append(eta((p.prefetchTotal() - p.prefetched()) / rate));
                    }
                }
                yield sb.toString();
            }
            default -> p.name() + ": " + p.phase();
        };
    }

    private static String eta(double seconds) {
        return Human.duration(Duration.ofSeconds((long) Math.ceil(seconds)));
    }

    /** How one sync ended, e.g. {@code media: generation 7 published in 1.2s: 20,000 files (1.5Gi); 3 added, ...}. */
    static String result(SyncResult r) {
        String took = String.format(Locale.ROOT, "%.1fs", r.durationMillis() / 1000.0);
        if (!r.ok()) {
            return r.name() + ": sync failed after " + took + ": " + r.error();
        }
        return r.name() + ": generation " + r.generation() + " published in " + took + ": " + Human.count(r.files())
                + " files (" + Human.bytes(r.bytes()) + "); " + Human.count(r.added()) + " added, "
                + Human.count(r.changed()) + " changed, " + Human.count(r.removed()) + " removed";
    }
}
