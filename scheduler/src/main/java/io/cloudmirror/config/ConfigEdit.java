package io.cloudmirror.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * How an edited configuration differs from the one a mount runs, sorted into what can be applied while
 * mounted and what needs a remount. Immutable; computed by {@link #between}.
 *
 * <p>Live: {@code spec.schedule.frequency}, {@code spec.schedule.oneshot},
 * {@code spec.blobFiltering.blobNamePrefix}, {@code spec.edgevolume} (informational), and
 * {@code spec.cache.maxSize} when the block cache can be resized. Everything else (the path, the
 * authentication, the account, container and tags mode, the cache directory and prefetch mode) changes
 * what the mount is and needs a remount, as does adding or removing a subvolume.
 *
 * @param subvolumes for each running subvolume still in the edit, by name: how it changed
 * @param removed    running subvolumes missing from the edit
 * @param added      subvolumes of the edit that are not running
 */
public record ConfigEdit(Map<String, Change> subvolumes, List<String> removed, List<String> added) {

    public ConfigEdit {
        subvolumes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(subvolumes));
        removed = List.copyOf(removed);
        added = List.copyOf(added);
    }

    /**
     * How one subvolume changed.
     *
     * @param live         the running configuration with every live-applicable field taken from the edit
     *                     ({@code maxSize} included: the caller keeps the old one if it cannot apply it)
     * @param frequency    the new frequency, if it changed
     * @param oneshot      the new oneshot UUID, if it changed to a non-empty one
     * @param prefix       the new blob name prefix, if it changed
     * @param maxSize      the new cache size limit, if it changed
     * @param needsRemount the fields (YAML paths) that changed and cannot be applied while mounted
     */
    public record Change(SubvolumeConfig live, Optional<Frequency> frequency, Optional<String> oneshot,
                         Optional<String> prefix, Optional<Long> maxSize, List<String> needsRemount) {
        public Change {
            needsRemount = List.copyOf(needsRemount);
        }

        /** Whether nothing changed at all. */
        public boolean isEmpty() {
            return frequency.isEmpty() && oneshot.isEmpty() && prefix.isEmpty() && maxSize.isEmpty()
                    && needsRemount.isEmpty();
        }
    }

    /** Compares the configuration running now with an edited one. */
    public static ConfigEdit between(MirrorConfig running, MirrorConfig edited) {
        Map<String, Change> changes = new LinkedHashMap<>();
        List<String> removed = new ArrayList<>();
        for (SubvolumeConfig r : running.subvolumes()) {
            Optional<SubvolumeConfig> e = edited.subvolume(r.name());
            if (e.isPresent()) {
                changes.put(r.name(), change(r, e.get()));
            } else {
                removed.add(r.name());
            }
        }
        List<String> added = new ArrayList<>();
        for (SubvolumeConfig e : edited.subvolumes()) {
            if (running.subvolume(e.name()).isEmpty()) {
                added.add(e.name());
            }
        }
        return new ConfigEdit(changes, removed, added);
    }

    /** Compares one running subvolume with its edited version (same name). */
    public static Change change(SubvolumeConfig r, SubvolumeConfig e) {
        List<String> remount = new ArrayList<>();
        differs(remount, "spec.path", r.path(), e.path());
        SubvolumeConfig.Authentication ra = r.authentication();
        SubvolumeConfig.Authentication ea = e.authentication();
        differs(remount, "spec.authentication.authType", ra.type(), ea.type());
        differs(remount, "spec.authentication.clientId", ra.clientId(), ea.clientId());
        differs(remount, "spec.authentication.secretFile", ra.secretFile(), ea.secretFile());
        differs(remount, "spec.authentication.secretEnv", ra.secretEnv(), ea.secretEnv());
        if (r.blobAccount() == null || e.blobAccount() == null) {
            differs(remount, "spec.blobAccount", r.blobAccount(), e.blobAccount());
        } else {
            differs(remount, "spec.blobAccount.accountEndpoint", r.blobAccount().endpoint(),
                    e.blobAccount().endpoint());
            differs(remount, "spec.blobAccount.containerName", r.blobAccount().containerName(),
                    e.blobAccount().containerName());
            differs(remount, "spec.blobAccount.indexTagsMode", r.blobAccount().indexTagsMode(),
                    e.blobAccount().indexTagsMode());
        }
        if (r.vfsSource() == null || e.vfsSource() == null) {
            differs(remount, "spec.vfsSource", r.vfsSource(), e.vfsSource());
        } else {
            differs(remount, "spec.vfsSource.uri", r.vfsSource().uri(), e.vfsSource().uri());
            differs(remount, "spec.vfsSource.knownHostsFile", r.vfsSource().knownHosts(), e.vfsSource().knownHosts());
        }
        differs(remount, "spec.cache.directory", r.cache().directory(), e.cache().directory());
        differs(remount, "spec.cache.prefetch", r.cache().prefetch(), e.cache().prefetch());

        Optional<Frequency> frequency = r.schedule().frequency().equals(e.schedule().frequency())
                ? Optional.empty() : Optional.of(e.schedule().frequency());
        Optional<String> oneshot = e.schedule().oneshot().isEmpty()
                || e.schedule().oneshot().equalsIgnoreCase(r.schedule().oneshot())
                ? Optional.empty() : Optional.of(e.schedule().oneshot());
        Optional<String> prefix = r.blobNamePrefix().equals(e.blobNamePrefix())
                ? Optional.empty() : Optional.of(e.blobNamePrefix());
        Optional<Long> maxSize = r.cache().maxSize() == e.cache().maxSize()
                ? Optional.empty() : Optional.of(e.cache().maxSize());
        SubvolumeConfig live = new SubvolumeConfig(r.file(), r.name(), e.edgeVolume(), r.path(), r.authentication(),
                r.blobAccount(), r.vfsSource(), e.blobNamePrefix(), e.schedule(),
                new SubvolumeConfig.CacheSettings(r.cache().directory(), e.cache().maxSize(), r.cache().prefetch()));
        return new Change(live, frequency, oneshot, prefix, maxSize, remount);
    }

    private static void differs(List<String> out, String field, Object running, Object edited) {
        if (!Objects.equals(running, edited)) {
            out.add(field);
        }
    }
}
