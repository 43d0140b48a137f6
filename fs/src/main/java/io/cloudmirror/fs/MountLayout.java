package io.cloudmirror.fs;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Where each subvolume sits under the mount point, and the synthetic directories above them
 * (the mount root, and the parents of nested paths such as {@code a} for {@code a/b}). Immutable.
 */
final class MountLayout {

    /** A path resolved against the layout. */
    sealed interface Target permits Synthetic, Inside, Missing {
    }

    /** A synthetic directory; {@code children} are the names under it. */
    record Synthetic(String path, List<String> children) implements Target {
    }

    /** A path inside a subvolume; {@code rel} is relative to the subvolume root ({@code ""} for the root). */
    record Inside(Subvolume subvolume, String rel) implements Target {
    }

    /** Nothing there. */
    record Missing() implements Target {
    }

    private static final Missing MISSING = new Missing();

    private final List<Subvolume> subvolumes;

    MountLayout(List<Subvolume> subvolumes) {
        this.subvolumes = List.copyOf(subvolumes);
    }

    List<Subvolume> subvolumes() {
        return subvolumes;
    }

    /** Resolves an absolute FUSE path such as {@code /mirrorSubDir/a.txt}. */
    Target resolve(String fusePath) {
        String rel = strip(fusePath);
        for (Subvolume s : subvolumes) {
            String p = s.path();
            if (rel.equals(p)) {
                return new Inside(s, "");
            }
            if (rel.length() > p.length() && rel.startsWith(p) && rel.charAt(p.length()) == '/') {
                return new Inside(s, rel.substring(p.length() + 1));
            }
        }
        Set<String> children = new LinkedHashSet<>();
        String prefix = rel.isEmpty() ? "" : rel + "/";
        for (Subvolume s : subvolumes) {
            if (s.path().startsWith(prefix)) {
                String rest = s.path().substring(prefix.length());
                int slash = rest.indexOf('/');
                children.add(slash < 0 ? rest : rest.substring(0, slash));
            }
        }
        if (children.isEmpty()) {
            return MISSING;
        }
        return new Synthetic(rel, new ArrayList<>(children));
    }

    private static String strip(String fusePath) {
        int start = 0;
        int end = fusePath.length();
        while (start < end && fusePath.charAt(start) == '/') {
            start++;
        }
        while (end > start && fusePath.charAt(end - 1) == '/') {
            end--;
        }
        return fusePath.substring(start, end);
    }
}
