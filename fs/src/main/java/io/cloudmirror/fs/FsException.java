package io.cloudmirror.fs;

/**
 * Every way a filesystem operation of the core can fail. The FUSE adapter turns each kind into its errno
 * in one place; the core never deals in errno numbers.
 */
public abstract sealed class FsException extends Exception
        permits FsException.NoEntry, FsException.NotDirectory, FsException.IsDirectory, FsException.ReadOnly,
        FsException.Stale, FsException.Io, FsException.NoAttribute, FsException.NotSupported, FsException.BadHandle {

    private static final long serialVersionUID = 1L;

    private FsException(String message, Throwable cause) {
        super(message, cause, false, false);
    }

    /** No such file or directory. */
    public static final class NoEntry extends FsException {
        private static final long serialVersionUID = 1L;

        public NoEntry(String path) {
            super(path, null);
        }
    }

    /** A path component that must be a directory is a file. */
    public static final class NotDirectory extends FsException {
        private static final long serialVersionUID = 1L;

        public NotDirectory(String path) {
            super(path, null);
        }
    }

    /** A file operation on a directory. */
    public static final class IsDirectory extends FsException {
        private static final long serialVersionUID = 1L;

        public IsDirectory(String path) {
            super(path, null);
        }
    }

    /** Any modification: the mirror is read-only. */
    public static final class ReadOnly extends FsException {
        private static final long serialVersionUID = 1L;

        public ReadOnly(String what) {
            super(what, null);
        }
    }

    /** The version an open handle reads is gone from the cloud and not cached. */
    public static final class Stale extends FsException {
        private static final long serialVersionUID = 1L;

        public Stale(String what, Throwable cause) {
            super(what, cause);
        }
    }

    /** Data could not be fetched: the cloud is unreachable, refused, or failed. */
    public static final class Io extends FsException {
        private static final long serialVersionUID = 1L;

        public Io(String what, Throwable cause) {
            super(what, cause);
        }
    }

    /** No extended attribute of that name. */
    public static final class NoAttribute extends FsException {
        private static final long serialVersionUID = 1L;

        public NoAttribute(String what) {
            super(what, null);
        }
    }

    /** An extended attribute namespace this filesystem has none of (security, system, trusted). */
    public static final class NotSupported extends FsException {
        private static final long serialVersionUID = 1L;

        public NotSupported(String what) {
            super(what, null);
        }
    }

    /** A handle that was never opened or is already released. */
    public static final class BadHandle extends FsException {
        private static final long serialVersionUID = 1L;

        public BadHandle(long fh) {
            super("handle " + fh, null);
        }
    }
}
