package io.cloudmirror.sync;

import io.cloudmirror.origin.BackendConnection;
import java.time.Instant;
import java.util.Optional;

/**
 * A snapshot of one subvolume's sync state, as status shows it. Immutable.
 *
 * @param connection       the last known state of the link to the origin (from the last sync or probe)
 * @param connectionDetail why the link is not {@code Connected} (redacted), empty when it is
 * @param connectionAt     when {@code connection} was last established by a sync or a probe, if ever
 * @param phase            what the running sync is doing, {@link Phase#IDLE} when none runs
 * @param lastAttempt      when the last sync started, if any
 * @param lastSuccess      when the last successful sync finished, if any
 * @param lastError        the redacted error of the last failed attempt, empty after a success
 * @param listed           blobs listed so far by the running sync (or the last one)
 * @param listedBytes      their total size
 */
public record SyncStatus(BackendConnection connection, String connectionDetail, Optional<Instant> connectionAt,
                         Phase phase, Optional<Instant> lastAttempt, Optional<Instant> lastSuccess, String lastError,
                         long listed, long listedBytes) {

    /** What a sync is doing. */
    public enum Phase {
        /** No sync runs. */
        IDLE,
        /** Listing the origin into the next generation. */
        LISTING,
        /** Writing and publishing the next generation. */
        PUBLISHING
    }

    /** The state before any sync or probe. */
    public static SyncStatus initial() {
        return new SyncStatus(BackendConnection.DISCONNECTED, "", Optional.empty(), Phase.IDLE, Optional.empty(),
                Optional.empty(), "", 0, 0);
    }

    /** Whether a sync is in progress. */
    public boolean running() {
        return phase != Phase.IDLE;
    }

    SyncStatus started(Instant at) {
        return new SyncStatus(connection, connectionDetail, connectionAt, Phase.LISTING, Optional.of(at), lastSuccess,
                lastError, 0, 0);
    }

    SyncStatus listedSoFar(long blobs, long bytes) {
        return new SyncStatus(connection, connectionDetail, connectionAt, phase, lastAttempt, lastSuccess, lastError,
                blobs, bytes);
    }

    SyncStatus publishing(long blobs, long bytes) {
        return new SyncStatus(connection, connectionDetail, connectionAt, Phase.PUBLISHING, lastAttempt, lastSuccess,
                lastError, blobs, bytes);
    }

    SyncStatus succeeded(Instant at, long blobs, long bytes) {
        return new SyncStatus(BackendConnection.CONNECTED, "", Optional.of(at), Phase.IDLE, lastAttempt,
                Optional.of(at), "", blobs, bytes);
    }

    SyncStatus failed(BackendConnection conn, Instant at, String error) {
        return new SyncStatus(conn, conn == BackendConnection.CONNECTED ? "" : error, Optional.of(at), Phase.IDLE,
                lastAttempt, lastSuccess, error, listed, listedBytes);
    }

    SyncStatus failedLocally(String error) {
        return new SyncStatus(connection, connectionDetail, connectionAt, Phase.IDLE, lastAttempt, lastSuccess, error,
                listed, listedBytes);
    }

    SyncStatus probed(BackendConnection conn, String detail, Instant at) {
        return new SyncStatus(conn, conn == BackendConnection.CONNECTED ? "" : detail, Optional.of(at), phase,
                lastAttempt, lastSuccess, lastError, listed, listedBytes);
    }
}
