package io.cloudmirror.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.Objects;

/**
 * One validated {@code MirrorSubvolume} document. Immutable.
 *
 * @param file           the YAML file it came from
 * @param name           {@code metadata.name}
 * @param edgeVolume     {@code spec.edgevolume} (informational)
 * @param path           {@code spec.path}: where the subvolume appears under the mount point
 * @param authentication {@code spec.authentication}
 * @param blobAccount    {@code spec.blobAccount}, or {@code null} for a non-Azure source
 * @param vfsSource      {@code spec.vfsSource}, or {@code null} for an Azure container; exactly one of the two is set
 * @param blobNamePrefix {@code spec.blobFiltering.blobNamePrefix} (empty: everything)
 * @param schedule       {@code spec.schedule}
 * @param cache          {@code spec.cache}, defaults filled in
 */
public record SubvolumeConfig(Path file, String name, String edgeVolume, String path, Authentication authentication,
                              BlobAccount blobAccount, VfsSource vfsSource, String blobNamePrefix, Schedule schedule,
                              CacheSettings cache) {

    public SubvolumeConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(authentication, "authentication");
        if ((blobAccount == null) == (vfsSource == null)) {
            throw new IllegalArgumentException("exactly one of blobAccount and vfsSource must be set");
        }
        Objects.requireNonNull(schedule, "schedule");
        Objects.requireNonNull(cache, "cache");
        edgeVolume = edgeVolume == null ? "" : edgeVolume;
        blobNamePrefix = blobNamePrefix == null ? "" : blobNamePrefix;
    }

    /**
     * {@code spec.authentication}.
     *
     * @param type       how to authenticate
     * @param clientId   identity modes: the client id of a user-assigned identity, or empty
     * @param secretFile secret modes: the file holding the secret, or {@code null}
     * @param secretEnv  secret modes: the environment variable holding the secret, or empty
     */
    public record Authentication(AuthType type, String clientId, Path secretFile, String secretEnv) {
        public Authentication {
            Objects.requireNonNull(type, "type");
            clientId = clientId == null ? "" : clientId;
            secretEnv = secretEnv == null ? "" : secretEnv;
        }
    }

    /**
     * {@code spec.blobAccount}.
     *
     * @param endpoint      the account's blob endpoint
     * @param containerName the container
     * @param indexTagsMode whether index tags become xattrs
     */
    public record BlobAccount(URI endpoint, String containerName, IndexTagsMode indexTagsMode) {
        public BlobAccount {
            Objects.requireNonNull(endpoint, "endpoint");
            Objects.requireNonNull(containerName, "containerName");
            Objects.requireNonNull(indexTagsMode, "indexTagsMode");
        }
    }

    /** Whether index tags become xattrs: only Azure containers in {@code MirrorIndexTags} mode have tags. */
    public boolean mirrorsIndexTags() {
        return blobAccount != null && blobAccount.indexTagsMode() == IndexTagsMode.MirrorIndexTags;
    }

    /** What the source is, for messages: the container's endpoint and name, or the VFS URI. */
    public String sourceDescription() {
        return blobAccount != null ? blobAccount.endpoint() + " container " + blobAccount.containerName()
                : vfsSource.uri();
    }

    /**
     * {@code spec.vfsSource} (ours): a non-Azure source read through commons-vfs.
     *
     * @param uri        the source URI: {@code file:///srv/data}, {@code sftp://user@host/path},
     *                   {@code https://host/file}, {@code zip:file:///srv/data.zip!/}, ...
     * @param knownHosts sftp: the known_hosts file holding the server's host key, or {@code null} to accept any
     */
    public record VfsSource(String uri, Path knownHosts) {
        public VfsSource {
            Objects.requireNonNull(uri, "uri");
        }
    }

    /**
     * {@code spec.schedule}.
     *
     * @param frequency when syncs run on their own
     * @param oneshot   a UUID requesting a sync now, or empty
     */
    public record Schedule(Frequency frequency, String oneshot) {
        public Schedule {
            Objects.requireNonNull(frequency, "frequency");
            oneshot = oneshot == null ? "" : oneshot;
        }
    }

    /**
     * {@code spec.cache} (ours).
     *
     * @param directory where the index and the block cache live
     * @param maxSize   the block cache's hard limit in bytes
     * @param prefetch  what a sync downloads ahead
     */
    public record CacheSettings(Path directory, long maxSize, Prefetch prefetch) {
        public CacheSettings {
            Objects.requireNonNull(directory, "directory");
            Objects.requireNonNull(prefetch, "prefetch");
        }
    }
}
