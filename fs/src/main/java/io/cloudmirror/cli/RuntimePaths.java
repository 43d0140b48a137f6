package io.cloudmirror.cli;

import com.sun.security.auth.module.UnixSystem;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Where a daemon keeps its log and runtime files, for root and for other users. Stateless. */
final class RuntimePaths {

    private RuntimePaths() {
    }

    static long uid() {
        return new UnixSystem().getUid();
    }

    static long gid() {
        return new UnixSystem().getGid();
    }

    static boolean isRoot() {
        return uid() == 0;
    }

    /**
     * Where control sockets and ready files go: {@code $CLOUDMIRROR_RUNTIME_DIR} if set (tests, or several
     * independent sets of mounts), else {@code /run/cloudmirror} for root, else
     * {@code $XDG_RUNTIME_DIR/cloudmirror} or a per-user temp dir.
     */
    static Path runtimeDir() {
        String own = System.getenv("CLOUDMIRROR_RUNTIME_DIR");
        if (own != null && !own.isBlank()) {
            return Path.of(own);
        }
        if (isRoot()) {
            return Path.of("/run/cloudmirror");
        }
        String xdg = System.getenv("XDG_RUNTIME_DIR");
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg, "cloudmirror");
        }
        return Path.of(System.getProperty("java.io.tmpdir"), "cloudmirror-" + uid());
    }

    /** The default log of a background daemon serving {@code mountpoint}. */
    static Path defaultLogFile(Path mountpoint) {
        Path dir;
        if (isRoot()) {
            dir = Path.of("/var/log/cloudmirror");
        } else {
            String xdg = System.getenv("XDG_STATE_HOME");
            dir = xdg != null && !xdg.isBlank() ? Path.of(xdg, "cloudmirror")
                    : Path.of(System.getProperty("user.home"), ".local", "state", "cloudmirror");
        }
        return dir.resolve(escape(mountpoint) + ".log");
    }

    /** A mount point as a file name, the way {@code systemd-escape --path} spells it: {@code /data/a} is {@code data-a}. */
    static String escape(Path mountpoint) {
        String p = mountpoint.toAbsolutePath().normalize().toString();
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        if (p.isEmpty()) {
            return "-";
        }
        StringBuilder sb = new StringBuilder();
        byte[] bytes = p.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            int b = bytes[i] & 0xff;
            if (b == '/') {
                sb.append('-');
            } else if (Character.isLetterOrDigit(b) && b < 0x80 || b == '_' || (b == '.' && i > 0) || b == ':') {
                sb.append((char) b);
            } else {
                sb.append(String.format("\\x%02x", b));
            }
        }
        return sb.toString();
    }
}
