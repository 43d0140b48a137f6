package io.cloudmirror.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small process that unmounts the mount point once this daemon is gone and the mount is dead. It holds
 * the read end of a pipe whose write end only this JVM has: when the daemon dies, even by SIGKILL, the pipe
 * closes; the watcher then asks the file system for its statistics, which only a live daemon answers, and
 * detaches the mount lazily if nothing answers ("Transport endpoint is not connected").
 *
 * <p>fusermount3's own {@code auto_unmount} watcher is not enough: it unmounts only if opening the mount
 * point fails, and the kernel opens directories itself once the daemon declined OPENDIR (see FuseAdapter),
 * so a dead mount still opens. A mount made by another daemon meanwhile answers, and is left alone.
 * Started once the mount is live; nothing to call afterwards.
 */
final class UnmountWatcher {

    private static final Logger LOG = LoggerFactory.getLogger(UnmountWatcher.class);
    private static final String SCRIPT = "cat > /dev/null; "
            + "stat -f -- \"$1\" > /dev/null 2>&1 || fusermount3 -u -z -- \"$1\" 2>/dev/null || umount -l -- \"$1\"";

    /** The write end of the pipe, held for the life of this JVM. */
    private static volatile OutputStream lifeline;

    private UnmountWatcher() {
    }

    /** Starts the watcher of {@code mountpoint}; a failure to start it is logged, not fatal. */
    static void start(Path mountpoint) {
        try {
            Process p = new ProcessBuilder("sh", "-c", SCRIPT, "cloudmirror-unmount-watch", mountpoint.toString())
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            lifeline = p.getOutputStream();
        } catch (IOException e) {
            LOG.warn("cannot start the unmount watcher for {} ({}); if this daemon dies, the next mount clears "
                    + "the dead mount", mountpoint, e.getMessage());
        }
    }
}
