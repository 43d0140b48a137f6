package io.cloudmirror.origin;

import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * One listed blob: its name, the version (ETag) the listing saw, and what the mirror shows of it.
 *
 * @param name         the full blob name, exactly as the origin spells it
 * @param size         content length in bytes
 * @param lastModified last modification time
 * @param etag         the version identifier; reads are pinned to it
 * @param contentMd5   the Content-MD5 the origin holds for the whole blob, or {@code null}
 * @param metadata     user metadata (empty when none)
 * @param tags         blob index tags (empty when none or when tags are not mirrored)
 */
public record BlobItem(String name, long size, Instant lastModified, String etag, byte[] contentMd5,
                       Map<String, String> metadata, Map<String, String> tags) {

    /** Metadata key ADLS Gen2 sets on directory placeholder blobs. */
    public static final String HDI_ISFOLDER = "hdi_isfolder";

    public BlobItem {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(lastModified, "lastModified");
        Objects.requireNonNull(etag, "etag");
        if (size < 0) {
            throw new IllegalArgumentException("negative size " + size + " for " + name);
        }
        contentMd5 = contentMd5 == null ? null : contentMd5.clone();
        metadata = Map.copyOf(metadata == null ? Map.of() : metadata);
        tags = Map.copyOf(tags == null ? Map.of() : tags);
    }

    /** True for directory marker blobs: names ending in {@code /} or ADLS Gen2 {@code hdi_isfolder=true}. */
    public boolean isDirectoryMarker() {
        if (name.endsWith("/")) {
            return true;
        }
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            if (e.getKey().equalsIgnoreCase(HDI_ISFOLDER) && e.getValue().equalsIgnoreCase("true")) {
                return true;
            }
        }
        return false;
    }

    @Override
    public byte[] contentMd5() {
        return contentMd5 == null ? null : contentMd5.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BlobItem b && name.equals(b.name) && size == b.size
                && lastModified.equals(b.lastModified) && etag.equals(b.etag)
                && Arrays.equals(contentMd5, b.contentMd5) && metadata.equals(b.metadata) && tags.equals(b.tags);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, etag, size);
    }

    @Override
    public String toString() {
        return "BlobItem[" + name + ", " + size + " bytes, etag " + etag + "]";
    }
}
