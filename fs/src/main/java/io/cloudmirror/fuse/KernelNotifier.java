package io.cloudmirror.fuse;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the kernel to drop cached names and attributes under an entry of the mount root. The high-level
 * libfuse 2 API hides node ids, but the mount root is always node 1, so invalidating one of its entries drops
 * that whole subtree from the dentry cache: every path below is looked up again and gets fresh attributes,
 * while inodes held by open files survive.
 *
 * <p>The notification is written to the FUSE device as the protocol defines it ({@code FUSE_NOTIFY_INVAL_ENTRY}),
 * through a duplicate of libfuse's device descriptor taken when the session starts. libfuse's own notify
 * call goes through its channel, which libfuse frees when the file system is unmounted: a sync publishing at
 * that moment crashed the JVM. A write to the duplicate after unmount only fails (ENODEV), and the duplicate
 * is closed when libfuse tears the session down ({@link #detach}).
 *
 * <p>Thread-safe (one notification at a time); must not be called from inside a FUSE callback (the kernel
 * would wait on itself).
 */
final class KernelNotifier {

    private static final Logger LOG = LoggerFactory.getLogger(KernelNotifier.class);
    private static final long ROOT_NODE = 1;
    private static final int FUSE_NOTIFY_INVAL_ENTRY = 3;
    private static final int ENOENT = 2;
    private static final int EBADF = 9;
    private static final int ENODEV = 19;
    private static final int ENOTCONN = 107;

    /** The libfuse 2 functions used to find the session's device descriptor, bound by jnr-ffi. */
    public interface LibFuse {
        Pointer fuse_get_session(Pointer fuse);

        Pointer fuse_session_next_chan(Pointer session, Pointer previous);

        int fuse_chan_fd(Pointer channel);
    }

    /** The C library calls used. */
    public interface LibC {
        @SaveError
        int dup(int fd);

        @SaveError
        @ssize_t long write(int fd, byte[] buffer, @size_t long length);

        int close(int fd);
    }

    private final LibFuse fuse;
    private final LibC libc;
    private final Runtime runtime;
    /** The duplicate of the FUSE device descriptor, -1 when not mounted. Guarded by {@code this}. */
    private int fd = -1;

    KernelNotifier() {
        this.fuse = LibraryLoader.create(LibFuse.class).failImmediately().load("libfuse.so.2");
        this.libc = LibraryLoader.create(LibC.class).failImmediately().load("c");
        this.runtime = Runtime.getRuntime(libc);
    }

    /** Keeps a duplicate of the device descriptor of the session of {@code struct fuse} (from the init callback). */
    synchronized void attach(Pointer structFuse) {
        detach();
        Pointer channel = fuse.fuse_session_next_chan(fuse.fuse_get_session(structFuse), null);
        int dup = channel == null ? -1 : libc.dup(fuse.fuse_chan_fd(channel));
        if (dup < 0) {
            LOG.warn("cannot keep the FUSE device for cache invalidation (errno {}); changes show after attr_timeout",
                    channel == null ? "no channel" : LastError.getLastError(runtime));
            return;
        }
        fd = dup;
    }

    /** Closes the duplicate (libfuse is tearing the session down); later notifications do nothing. */
    synchronized void detach() {
        if (fd >= 0) {
            libc.close(fd);
            fd = -1;
        }
    }

    /**
     * Drops the entry {@code name} of the mount root, and with it everything cached below it.
     *
     * @return true if the kernel took the notification, had nothing cached, or the file system is not mounted
     */
    synchronized boolean invalidateRootEntry(String name) {
        if (fd < 0) {
            LOG.debug("not mounted; nothing to invalidate for {}", name);
            return true;
        }
        byte[] message = invalEntry(ROOT_NODE, name);
        long written = libc.write(fd, message, message.length);
        if (written == message.length) {
            LOG.debug("kernel cache invalidated under /{}", name);
            return true;
        }
        int errno = written < 0 ? LastError.getLastError(runtime) : 0;
        if (errno == ENOENT) {
            return true; // nothing cached
        }
        if (errno == ENODEV || errno == ENOTCONN || errno == EBADF) {
            LOG.debug("unmounted; nothing to invalidate for {}", name);
            return true;
        }
        LOG.warn("the kernel refused to invalidate its cache under /{} (errno {}, wrote {} of {} bytes); changes "
                + "show after attr_timeout", name, errno, written, message.length);
        return false;
    }

    /**
     * A {@code FUSE_NOTIFY_INVAL_ENTRY} message: {@code fuse_out_header} (length, notify code as the error,
     * unique 0), then {@code fuse_notify_inval_entry_out} (parent, name length, padding), then the name and a NUL.
     */
    static byte[] invalEntry(long parent, String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        int length = 16 + 16 + bytes.length + 1;
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.nativeOrder());
        b.putInt(length).putInt(FUSE_NOTIFY_INVAL_ENTRY).putLong(0);
        b.putLong(parent).putInt(bytes.length).putInt(0);
        b.put(bytes).put((byte) 0);
        return b.array();
    }
}
