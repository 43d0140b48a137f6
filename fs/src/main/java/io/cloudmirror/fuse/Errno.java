package io.cloudmirror.fuse;

import io.cloudmirror.fs.FsException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import ru.serce.jnrfuse.ErrorCodes;

/**
 * The one place where failures become errno values: each {@link FsException} kind has its errno, and
 * anything else is a bug, logged once per kind and answered with EIO. Thread-safe.
 */
final class Errno {

    private static final Logger LOG = LoggerFactory.getLogger(Errno.class);
    private static final Set<String> LOGGED_BUGS = ConcurrentHashMap.newKeySet();

    private Errno() {
    }

    /** The negative errno that answers {@code operation} on {@code path} failing with {@code t}. */
    static int of(String operation, String path, Throwable t) {
        if (t instanceof FsException e) {
            if (e instanceof FsException.NoEntry) {
                return -ErrorCodes.ENOENT();
            }
            if (e instanceof FsException.NotDirectory) {
                return -ErrorCodes.ENOTDIR();
            }
            if (e instanceof FsException.IsDirectory) {
                return -ErrorCodes.EISDIR();
            }
            if (e instanceof FsException.ReadOnly) {
                return -ErrorCodes.EROFS();
            }
            if (e instanceof FsException.NoAttribute) {
                return -ErrorCodes.ENODATA();
            }
            if (e instanceof FsException.NotSupported) {
                return -ErrorCodes.EOPNOTSUPP();
            }
            if (e instanceof FsException.BadHandle) {
                return -ErrorCodes.EBADF();
            }
            if (e instanceof FsException.Stale) {
                LOG.info("{} {}: stale: {}", operation, path, e.getMessage());
                return -ErrorCodes.ESTALE();
            }
            LOG.warn("{} {}: I/O error: {}", operation, path, e.getMessage());
            return -ErrorCodes.EIO();
        }
        String key = operation + ":" + t.getClass().getName();
        if (LOGGED_BUGS.add(key)) {
            LOG.error("{} {} failed unexpectedly (answered EIO; further {} of this kind are not logged)", operation,
                    path, t.getClass().getSimpleName(), t);
        }
        return -ErrorCodes.EIO();
    }
}
