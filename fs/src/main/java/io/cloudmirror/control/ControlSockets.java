package io.cloudmirror.control;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Where daemons' control sockets live: one per mount, in the runtime directory ({@code /run/cloudmirror}
 * for root), named {@code ctl-<16 hex digits>.sock} from a SHA-256 of the mount point. A hash, not the
 * escaped path, because a socket path must fit in {@code sun_path} (108 bytes). Stateless.
 */
public final class ControlSockets {

    static final String PREFIX = "ctl-";
    static final String SUFFIX = ".sock";

    private ControlSockets() {
    }

    /** The socket of the daemon serving {@code mountpoint}. */
    public static Path of(Path runtimeDir, Path mountpoint) {
        String mnt = mountpoint.toAbsolutePath().normalize().toString();
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(mnt.getBytes(StandardCharsets.UTF_8));
            return runtimeDir.resolve(PREFIX + HexFormat.of().formatHex(digest, 0, 8) + SUFFIX);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every control socket in {@code runtimeDir} (live or stale), sorted; none if it does not exist. */
    public static List<Path> all(Path runtimeDir) throws IOException {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(runtimeDir)) {
            return out;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(runtimeDir, PREFIX + "*" + SUFFIX)) {
            entries.forEach(out::add);
        }
        out.sort(null);
        return out;
    }
}
