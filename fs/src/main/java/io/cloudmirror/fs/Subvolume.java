package io.cloudmirror.fs;

import io.cloudmirror.index.IndexStore;
import java.util.Objects;

/**
 * What the core needs of one subvolume: where it appears, its index and its content. Immutable.
 *
 * @param name    {@code metadata.name}
 * @param path    {@code spec.path}: relative to the mount point, no leading or trailing slash
 * @param index   the published generations of its tree
 * @param content where file bytes come from
 * @param tags    whether index tags are shown as xattrs
 */
public record Subvolume(String name, String path, IndexStore index, ContentSource content, boolean tags) {
    public Subvolume {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(index, "index");
        Objects.requireNonNull(content, "content");
    }
}
