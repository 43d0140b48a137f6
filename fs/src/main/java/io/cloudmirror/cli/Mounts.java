package io.cloudmirror.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Reads the kernel's mount table, tells a live FUSE mount from a dead one, and unmounts. Stateless. */
final class Mounts {

    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    private Mounts() {
    }

    /**
     * One line of the mount table.
     *
     * @param mountpoint where it is mounted
     * @param fstype     e.g. {@code fuse.cloudmirror}
     * @param source     what was mounted (the fsname)
     */
    record Entry(Path mountpoint, String fstype, String source) {
    }

    /** The mount at exactly {@code mountpoint}, the last one if several are stacked. */
    static Optional<Entry> at(Path mountpoint) throws IOException {
        Path want = mountpoint.toAbsolutePath().normalize();
        Entry found = null;
        for (Entry e : all()) {
            if (e.mountpoint().equals(want)) {
                found = e;
            }
        }
        return Optional.ofNullable(found);
    }

    static List<Entry> all() throws IOException {
        List<Entry> out = new ArrayList<>();
        for (String line : Files.readAllLines(MOUNTINFO, StandardCharsets.UTF_8)) {
            String[] f = line.split(" ");
            int dash = -1;
            for (int i = 6; i < f.length; i++) {
                if (f[i].equals("-")) {
                    dash = i;
                    break;
                }
            }
            if (dash < 0 || dash + 2 >= f.length) {
                continue;
            }
            out.add(new Entry(Path.of(unescape(f[4])), f[dash + 1], unescape(f[dash + 2])));
        }
        return out;
    }

    /**
     * Why the mount at {@code mountpoint} is dead, or empty if it answers. A FUSE mount whose daemon is gone
     * fails every call with ENOTCONN ("Transport endpoint is not connected") until it is unmounted; a live
     * cloudmirror daemon always answers for its root. Permission denied is an answer (another user's mount),
     * and so is no answer within {@code timeout} (a stopped or hung daemon is not proven dead).
     *
     * <p>The probe asks for the file system's statistics, then reads the root directory: statfs always
     * reaches the daemon, while the kernel answers stat (attributes cached for an hour by default) and a
     * listing it has cached even when the daemon is gone.
     */
    static Optional<String> deadReason(Path mountpoint, Duration timeout) throws InterruptedException {
        CompletableFuture<String> result = new CompletableFuture<>();
        Thread probe = new Thread(() -> {
            try {
                // statfs first: the kernel answers listings and attributes of a dead mount from its caches
                Files.getFileStore(mountpoint).getTotalSpace();
                try (DirectoryStream<Path> entries = Files.newDirectoryStream(mountpoint)) {
                    entries.iterator().hasNext();
                }
                result.complete(null);
            } catch (AccessDeniedException e) {
                result.complete(null);
            } catch (IOException e) {
                result.complete(e instanceof FileSystemException f && f.getReason() != null ? f.getReason()
                        : e.toString());
            }
        }, "mount-probe");
        probe.setDaemon(true);
        probe.start();
        try {
            return Optional.ofNullable(result.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
        } catch (TimeoutException e) {
            return Optional.empty();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Unmounts {@code mountpoint} (lazily if {@code lazy}); true if the command succeeded. */
    static boolean unmount(Path mountpoint, boolean lazy) {
        String mnt = mountpoint.toAbsolutePath().toString();
        List<List<String>> commands = List.of(
                lazy ? List.of("fusermount", "-u", "-z", mnt) : List.of("fusermount", "-u", mnt),
                lazy ? List.of("umount", "-l", mnt) : List.of("umount", mnt));
        for (List<String> cmd : commands) {
            try {
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .start();
                if (p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    return true;
                }
                p.destroyForcibly();
            } catch (IOException e) {
                // try the next command
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    /** Decodes the octal escapes ({@code \040} for a space) the kernel uses in the mount table. */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < b.length; i++) {
            if (b[i] == (byte) 0x5c && isOctal(b, i + 1)) {
                out.write(Integer.parseInt(new String(b, i + 1, 3, StandardCharsets.US_ASCII), 8));
                i += 3;
            } else {
                out.write(b[i]);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static boolean isOctal(byte[] b, int at) {
        if (at + 3 > b.length) {
            return false;
        }
        for (int i = at; i < at + 3; i++) {
            if (b[i] < '0' || b[i] > '7') {
                return false;
            }
        }
        return true;
    }
}
