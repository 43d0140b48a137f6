package io.cloudmirror.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Everything a mount serves: the subvolumes of one mount source. Immutable.
 *
 * @param source      the file or directory given as the mount source
 * @param subvolumes  at least one, with distinct names and non-overlapping paths
 */
public record MirrorConfig(Path source, List<SubvolumeConfig> subvolumes) {

    public MirrorConfig {
        subvolumes = List.copyOf(subvolumes);
    }

    /** The subvolume named {@code name}. */
    public Optional<SubvolumeConfig> subvolume(String name) {
        return subvolumes.stream().filter(s -> s.name().equals(name)).findFirst();
    }
}
