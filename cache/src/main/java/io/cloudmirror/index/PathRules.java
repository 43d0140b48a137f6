package io.cloudmirror.index;

import java.nio.charset.StandardCharsets;

/**
 * Decides which blob names can be paths, and splits paths. Stateless.
 *
 * <p>Paths are relative to the subvolume root and use {@code /} as separator; the root is {@code ""}.
 */
public final class PathRules {

    /** Longest component, in UTF-8 bytes (NAME_MAX). */
    public static final int NAME_MAX = 255;
    /** Longest path, in UTF-8 bytes, leaving room for the terminating NUL (PATH_MAX - 1). */
    public static final int PATH_MAX = 4095;

    private PathRules() {
    }

    /**
     * Returns why {@code path} cannot be a path, or {@code null} if it can.
     * A directory marker's trailing {@code /} must be removed before calling this.
     */
    public static SkipReason check(String path) {
        if (path.isEmpty()) {
            return SkipReason.EMPTY_COMPONENT;
        }
        if (path.indexOf('\0') >= 0) {
            return SkipReason.NUL_CHARACTER;
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= path.length() || !Character.isLowSurrogate(path.charAt(i + 1))) {
                    return SkipReason.INVALID_UNICODE;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return SkipReason.INVALID_UNICODE;
            }
        }
        if (utf8Length(path) > PATH_MAX) {
            return SkipReason.PATH_TOO_LONG;
        }
        int start = 0;
        while (true) {
            int slash = path.indexOf('/', start);
            int end = slash < 0 ? path.length() : slash;
            String component = path.substring(start, end);
            if (component.isEmpty()) {
                return SkipReason.EMPTY_COMPONENT;
            }
            if (component.equals(".") || component.equals("..")) {
                return SkipReason.DOT_COMPONENT;
            }
            if (utf8Length(component) > NAME_MAX) {
                return SkipReason.COMPONENT_TOO_LONG;
            }
            if (slash < 0) {
                return null;
            }
            start = slash + 1;
        }
    }

    /** The parent of a non-root path; {@code ""} for top-level names. */
    public static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "" : path.substring(0, slash);
    }

    /** The last component of a non-root path. */
    public static String name(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    /** {@code child} appended to {@code dir}. */
    public static String child(String dir, String name) {
        return dir.isEmpty() ? name : dir + "/" + name;
    }

    static int utf8Length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c)) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    /** The UTF-8 bytes of {@code s}. */
    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
