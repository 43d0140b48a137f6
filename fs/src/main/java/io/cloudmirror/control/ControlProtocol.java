package io.cloudmirror.control;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.List;
import java.util.Map;

/**
 * The control protocol between {@code cloudmirror status}/{@code sync} and a running daemon, over the
 * daemon's Unix domain socket ({@link ControlSockets}): newline-delimited JSON, UTF-8.
 *
 * <p>The client sends one {@link Request} on one line. The daemon answers with one or more {@link Response}
 * lines and closes the connection after the last. Unknown fields are ignored on both sides, so either may
 * add fields without breaking the other; {@value #VERSION} is the protocol version every response carries.
 *
 * <pre>
 * → {"command":"status"}                                    all subvolumes of this daemon
 * → {"command":"status","subvolumes":["media"]}             some of them
 * → {"command":"status","probe":false}                      without refreshing stale link states
 * ← {"type":"status","protocol":1,"daemon":{...},"subvolumes":[{"name":"media","backendConnection":"Connected",...}]}
 *
 * → {"command":"sync","subvolumes":["media"],"wait":false}  trigger, do not wait
 * ← {"type":"accepted","protocol":1,"daemon":{...},"accepted":["media"]}
 *
 * → {"command":"sync","wait":true}                          trigger every subvolume and follow the syncs
 * ← {"type":"progress","protocol":1,"progress":[{"name":"media","phase":"listing","listed":4096,...}]}   every 250 ms
 * ← ...
 * ← {"type":"result","protocol":1,"results":[{"name":"media","ok":true,"generation":7,"added":3,...}]}
 *
 * → {"command":"manifest","subvolumes":["media"]}          the published tree, for cloudmirror clone
 * ← {"type":"manifest","protocol":1,"generation":7,"entries":[{"path":"a/b.bin","size":5,...}, ...]}  batches
 * ← ...
 * ← {"type":"end","protocol":1,"generation":7}
 *
 * ← {"type":"error","protocol":1,"message":"no subvolume named \"x\" here; this daemon serves media"}
 * </pre>
 *
 * <p>A status request refreshes the link state of each subvolume whose last sync or probe is older than
 * a few seconds, waiting at most about two seconds for the probe; a sync request with {@code wait} streams
 * progress until the triggered syncs (and, with a block cache, their prefetch) end. A client that closes
 * the connection early stops the stream, not the sync. Requests over 64 KiB are refused.
 *
 * <p>Stateless and thread-safe.
 */
public final class ControlProtocol {

    /** The protocol version. */
    public static final int VERSION = 1;
    /** The longest request line accepted, in bytes. */
    static final int MAX_REQUEST = 64 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(SerializationFeature.INDENT_OUTPUT, false)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL);

    private ControlProtocol() {
    }

    /**
     * A request.
     *
     * @param command    {@code status}, {@code sync} or {@code manifest}
     * @param subvolumes names to act on; null or empty for all
     * @param waitForEnd sync ({@code "wait"}): follow the syncs to their end (default true)
     * @param probe      status: refresh stale link states with a probe first (default true)
     */
    public record Request(String command, List<String> subvolumes, @JsonProperty("wait") Boolean waitForEnd,
                          Boolean probe) {
        public static Request status(List<String> subvolumes, boolean probe) {
            return new Request("status", subvolumes, null, probe ? null : false);
        }

        public static Request sync(List<String> subvolumes, boolean wait) {
            return new Request("sync", subvolumes, wait, null);
        }

        /** The published tree of one subvolume. */
        public static Request manifest(String subvolume) {
            return new Request("manifest", List.of(subvolume), null, null);
        }

        /** Whether a status request asks for fresh link states. */
        public boolean probes() {
            return probe == null || probe;
        }

        /** Whether a sync request asks to wait. */
        public boolean waits() {
            return waitForEnd == null || waitForEnd;
        }
    }

    /**
     * Who answers: one daemon.
     *
     * @param pid        its process id
     * @param mountpoint where it is mounted
     * @param source     its configuration file or directory
     * @param version    cloudmirror version
     * @param startedAt  when it started (ISO-8601)
     * @param metrics    its metrics URL, if it serves metrics
     */
    public record DaemonInfo(long pid, String mountpoint, String source, String version, String startedAt,
                             String metrics) {
    }

    /**
     * One subvolume's state, as {@code cloudmirror status} shows it. Times are ISO-8601 instants or null.
     *
     * @param name              {@code metadata.name}
     * @param mountpoint        the daemon's mount point
     * @param path              where it appears: mount point + {@code spec.path}
     * @param backendConnection Connected, Disconnected, Unauthorized or NotFound
     * @param connectionDetail  why it is not Connected, empty when it is
     * @param connectionCheckedAt when a sync or probe last established the link state
     * @param lastSync          when the last successful sync finished (this daemon's, or the published generation's listing)
     * @param lastAttempt       when the last sync (successful or not) started in this daemon
     * @param nextSync          when the next sync is due on its own (schedule or retry)
     * @param nextSyncReason    schedule or retry
     * @param syncing           whether a sync runs now
     * @param phase             what it does: idle, listing, publishing
     * @param frequency         the schedule followed
     * @param generation        the published index generation
     * @param blobs             files in the published tree
     * @param bytes             their total size
     * @param cached            bytes in the block cache
     * @param skipped           blobs left out of the published tree
     * @param skippedByReason   the same, by reason
     * @param lastError         the last failed sync's error, empty after a success
     * @param configIssue       what of an edited configuration could not be applied (needs a remount, or invalid)
     * @param cacheDirectory    the subvolume's cache directory (its index and block files)
     */
    public record SubvolumeState(String name, String mountpoint, String path, String backendConnection,
                                 String connectionDetail, String connectionCheckedAt, String lastSync,
                                 String lastAttempt, String nextSync, String nextSyncReason, boolean syncing,
                                 String phase, String frequency, long generation, long blobs, long bytes,
                                 long cached, long skipped, Map<String, Long> skippedByReason, String lastError,
                                 String configIssue, String cacheDirectory) {
    }

    /**
     * Where one triggered sync stands.
     *
     * @param name            subvolume
     * @param phase           starting, waiting (for a sync that started before), listing, publishing, prefetching, done
     * @param listed          blobs listed so far
     * @param listedBytes     their total size
     * @param expected        blobs the listing will probably find (the published tree's count), 0 if unknown
     * @param prefetched      bytes prefetched so far
     * @param prefetchTotal   bytes the prefetch will fetch, 0 when there is no prefetch
     * @param elapsedMillis   since the sync (or the prefetch, in that phase) started
     */
    public record SyncProgress(String name, String phase, long listed, long listedBytes, long expected,
                               long prefetched, long prefetchTotal, long elapsedMillis) {
    }

    /**
     * How one triggered sync ended.
     *
     * @param name           subvolume
     * @param ok             whether it published
     * @param generation     the generation published
     * @param files          files in it
     * @param bytes          their total size
     * @param added          files new since the previous generation
     * @param changed        files whose version changed
     * @param removed        files gone
     * @param durationMillis how long it took
     * @param error          why it failed, when it did
     */
    public record SyncResult(String name, boolean ok, long generation, long files, long bytes, long added,
                             long changed, long removed, long durationMillis, String error) {
    }

    /**
     * One path of a published tree, as the mount shows it.
     *
     * @param path        relative to the subvolume ({@code ""} is its root)
     * @param directory   whether it is a directory
     * @param size        files: the size
     * @param mtimeMillis the modification time the mount shows, in milliseconds
     * @param etag        files: the version
     * @param md5         files: the whole-content MD5 in hex when the origin has one, else null
     * @param tags        files: the index tags the mount shows as xattrs (none unless MirrorIndexTags)
     */
    public record ManifestEntry(String path, boolean directory, long size, long mtimeMillis, String etag, String md5,
                                Map<String, String> tags) {
    }

    /**
     * A response line; {@code type} says which fields are set.
     *
     * @param type       status, accepted, progress, result, manifest, end or error
     * @param protocol   {@link #VERSION}
     * @param daemon     status, accepted: who answers
     * @param subvolumes status: the subvolumes asked for
     * @param accepted   accepted: the subvolumes whose sync was triggered
     * @param progress   progress: the syncs followed
     * @param results    result: how they ended
     * @param message    error: what went wrong
     * @param generation manifest, end: the generation listed
     * @param entries    manifest: a batch of its paths
     */
    public record Response(String type, int protocol, DaemonInfo daemon, List<SubvolumeState> subvolumes,
                           List<String> accepted, List<SyncProgress> progress, List<SyncResult> results,
                           String message, Long generation, List<ManifestEntry> entries) {

        public static Response status(DaemonInfo daemon, List<SubvolumeState> subvolumes) {
            return new Response("status", VERSION, daemon, subvolumes, null, null, null, null, null, null);
        }

        public static Response accepted(DaemonInfo daemon, List<String> names) {
            return new Response("accepted", VERSION, daemon, null, names, null, null, null, null, null);
        }

        public static Response progress(List<SyncProgress> progress) {
            return new Response("progress", VERSION, null, null, null, progress, null, null, null, null);
        }

        public static Response result(List<SyncResult> results) {
            return new Response("result", VERSION, null, null, null, null, results, null, null, null);
        }

        public static Response error(String message) {
            return new Response("error", VERSION, null, null, null, null, null, message, null, null);
        }

        public static Response manifest(long generation, List<ManifestEntry> entries) {
            return new Response("manifest", VERSION, null, null, null, null, null, null, generation, entries);
        }

        public static Response end(long generation) {
            return new Response("end", VERSION, null, null, null, null, null, null, generation, null);
        }
    }

    /** {@code value} as one line of JSON (no newline). */
    public static String write(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + value.getClass().getSimpleName(), e);
        }
    }

    /** {@code value} as indented JSON, for people and {@code jq}. */
    public static String writePretty(Object value) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + value.getClass().getSimpleName(), e);
        }
    }

    /**
     * Decodes one line.
     *
     * @throws IllegalArgumentException if it is not JSON of that shape, saying why
     */
    public static <T> T read(String line, Class<T> type) {
        try {
            T v = JSON.readValue(line, type);
            if (v == null) {
                throw new IllegalArgumentException("expected a JSON object, got null");
            }
            return v;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a valid " + type.getSimpleName() + ": " + e.getOriginalMessage(), e);
        }
    }
}
