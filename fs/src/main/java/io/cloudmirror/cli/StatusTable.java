package io.cloudmirror.cli;

import io.cloudmirror.control.ControlProtocol.SubvolumeState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code cloudmirror status} as a table, like {@code kubectl get mirrorsubvolumes}: one line per subvolume,
 * columns aligned, sizes and times for people (exact values are in {@code -o json}). Stateless.
 */
final class StatusTable {

    static final List<String> HEADER = List.of("NAME", "BACKENDCONNECTION", "LASTSYNC", "NEXTSYNC", "BLOBS", "BYTES",
            "CACHED", "SKIPPED", "LASTERROR");
    private static final String NONE = "<none>";

    private StatusTable() {
    }

    /** The table of {@code states} as of {@code now}, ending with a newline. */
    static String format(List<SubvolumeState> states, Instant now) {
        List<List<String>> rows = new ArrayList<>();
        rows.add(HEADER);
        for (SubvolumeState s : states) {
            rows.add(row(s, now));
        }
        return align(rows);
    }

    static List<String> row(SubvolumeState s, Instant now) {
        return List.of(s.name(), s.backendConnection(), lastSync(s, now), nextSync(s, now), Human.count(s.blobs()),
                Human.bytes(s.bytes()), Human.bytes(s.cached()), Human.count(s.skipped()), lastError(s));
    }

    static String lastSync(SubvolumeState s, Instant now) {
        return s.lastSync() == null ? "never" : Human.duration(Duration.between(Instant.parse(s.lastSync()), now)) + " ago";
    }

    static String nextSync(SubvolumeState s, Instant now) {
        if (s.syncing()) {
            return "syncing";
        }
        if (s.nextSync() == null) {
            return "never";
        }
        Duration until = Duration.between(now, Instant.parse(s.nextSync()));
        String when = until.isNegative() || until.isZero() ? "now" : "in " + Human.duration(until);
        return "retry".equals(s.nextSyncReason()) ? when + " (retry)" : when;
    }

    /**
     * The last sync's error; or, when the link is down and no sync failed since, why; then whatever of a
     * configuration edit could not be applied. One line.
     */
    static String lastError(SubvolumeState s) {
        List<String> parts = new ArrayList<>();
        if (s.lastError() != null && !s.lastError().isEmpty()) {
            parts.add(s.lastError());
        } else if (!"Connected".equals(s.backendConnection()) && s.connectionDetail() != null
                && !s.connectionDetail().isEmpty()) {
            parts.add(s.connectionDetail());
        }
        if (s.configIssue() != null && !s.configIssue().isEmpty()) {
            parts.add(s.configIssue());
        }
        return parts.isEmpty() ? NONE : String.join("; ", parts).replaceAll("\\s*\\R\\s*", " ");
    }

    /** Left-aligned columns, three spaces apart; the last column is not padded. */
    static String align(List<List<String>> rows) {
        int columns = rows.get(0).size();
        int[] width = new int[columns];
        for (List<String> r : rows) {
            for (int i = 0; i < columns; i++) {
                width[i] = Math.max(width[i], r.get(i).length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (List<String> r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < columns; i++) {
                line.append(r.get(i));
                if (i < columns - 1) {
                    line.append(" ".repeat(width[i] - r.get(i).length() + 3));
                }
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
        return sb.toString();
    }
}
