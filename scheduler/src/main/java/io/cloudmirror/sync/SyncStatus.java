package io.cloudmirror.sync;

import io.cloudmirror.origin.BackendConnection;
import java.time.Instant;
import java.util.Optional;

/**
 * A snapshot of one subvolume's sync state, as status shows it. Immutable.
 *
 * @param connection   the last known state of the link to the origin
 * @param running      whether a sync is in progress
 * @param lastAttempt  when the last sync started, if any
 * @param lastSuccess  when the last successful sync finished, if any
 * @param lastError    the redacted error of the last failed attempt, empty after a success
 * @param listed       blobs listed so far by the running sync (or the last one)
 */
public record SyncStatus(BackendConnection connection, boolean running, Optional<Instant> lastAttempt,
                         Optional<Instant> lastSuccess, String lastError, long listed) {

    /** The state before any sync. */
    public static SyncStatus initial() {
        return new SyncStatus(BackendConnection.DISCONNECTED, false, Optional.empty(), Optional.empty(), "", 0);
    }
}
