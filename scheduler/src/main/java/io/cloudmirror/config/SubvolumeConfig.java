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
 * @param blobAccount    {@code spec.blobAccount}
 * @param blobNamePrefix {@code spec.blobFiltering.blobNamePrefix} (empty: everything)
 * @param schedule       {@code spec.schedule}
 * @param cache          {@code spec.cache}, defaults filled in
 */
public record SubvolumeConfig(Path file, String name, String edgeVolume, String path, Authentication authentication,
                              BlobAccount blobAccount, String blobNamePrefix, Schedule schedule,
                              CacheSettings cache) {

    public SubvolumeConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(authentication, "authentication");
        Objects.requireNonNull(blobAccount, "blobAccount");
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
