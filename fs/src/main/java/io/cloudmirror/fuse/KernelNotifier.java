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
 * Tells the kernel to drop what it cached: the names and attributes under an entry of the mount root
 * ({@code FUSE_NOTIFY_INVAL_ENTRY}; the root is node 1, so invalidating one of its entries drops that whole
 * subtree from the dentry cache, while inodes held by open files survive), and the cached listing and
 * attributes of one node ({@code FUSE_NOTIFY_INVAL_INODE}).
 *
 * <p>The notifications are written to the FUSE device as the protocol defines them, through a duplicate of
 * the session's device descriptor taken when it mounts. A write to the duplicate after unmount only fails
 * (ENODEV), and the duplicate is closed when the session ends ({@link #detach}), so a sync publishing while
 * the file system is unmounted cannot touch freed memory.
 *
 * <p>Thread-safe (one notification at a time); must not be called from inside a FUSE callback (the kernel
 * would wait on itself).
 */
final class KernelNotifier {

    private static final Logger LOG = LoggerFactory.getLogger(KernelNotifier.class);
    private static final long ROOT_NODE = 1;
    private static final int FUSE_NOTIFY_INVAL_INODE = 2;
    private static final int FUSE_NOTIFY_INVAL_ENTRY = 3;
    private static final int ENOENT = 2;
    private static final int EBADF = 9;
    private static final int ENODEV = 19;
    private static final int ENOTCONN = 107;

    /** The C library calls used. */
    public interface LibC {
        @SaveError
        int dup(int fd);

        @SaveError
        @ssize_t long write(int fd, byte[] buffer, @size_t long length);

        int close(int fd);
    }

    private final LibC libc;
    private final Runtime runtime;
    /** The duplicate of the FUSE device descriptor, -1 when not mounted. Guarded by {@code this}. */
    private int fd = -1;

    KernelNotifier() {
        this.libc = LibraryLoader.create(LibC.class).failImmediately().load("c");
        this.runtime = Runtime.getRuntime(libc);
    }

    /** Keeps a duplicate of the session's device descriptor {@code deviceFd}. */
    synchronized void attach(int deviceFd) {
        detach();
        int dup = deviceFd < 0 ? -1 : libc.dup(deviceFd);
        if (dup < 0) {
            LOG.warn("cannot keep the FUSE device for cache invalidation (errno {}); changes show after attr_timeout",
                    deviceFd < 0 ? "no device" : LastError.getLastError(runtime));
            return;
        }
        fd = dup;
    }

    /** Closes the duplicate (the session is ending); later notifications do nothing. */
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
    boolean invalidateRootEntry(String name) {
        return send(invalEntry(ROOT_NODE, name), "/" + name);
    }

    /**
     * Drops the entry {@code name} of directory node {@code parent}; an open file of that name keeps its inode.
     *
     * @return true if the kernel took the notification, had nothing cached, or the file system is not mounted
     */
    boolean invalidateEntry(long parent, String name) {
        return send(invalEntry(parent, name), "node " + parent + " entry " + name);
    }

    /**
     * Drops the cached attributes and contents (for a directory, its cached listing) of node {@code node}.
     *
     * @return true if the kernel took the notification, did not hold the node, or the file system is not mounted
     */
    boolean invalidateInode(long node) {
        return send(invalInode(node), "node " + node);
    }

    private synchronized boolean send(byte[] message, String what) {
        if (fd < 0) {
            LOG.debug("not mounted; nothing to invalidate for {}", what);
            return true;
        }
        long written = libc.write(fd, message, message.length);
        if (written == message.length) {
            LOG.debug("kernel cache invalidated for {}", what);
            return true;
        }
        int errno = written < 0 ? LastError.getLastError(runtime) : 0;
        if (errno == ENOENT) {
            return true; // nothing cached
        }
        if (errno == ENODEV || errno == ENOTCONN || errno == EBADF) {
            LOG.debug("unmounted; nothing to invalidate for {}", what);
            return true;
        }
        LOG.warn("the kernel refused to invalidate its cache for {} (errno {}, wrote {} of {} bytes); changes "
                + "show after attr_timeout", what, errno, written, message.length);
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

    /**
     * A {@code FUSE_NOTIFY_INVAL_INODE} message: {@code fuse_out_header}, then {@code fuse_notify_inval_inode_out}
     * (node, offset 0, length 0: all of its cached pages, which for a directory hold its listing).
     */
    static byte[] invalInode(long node) {
        ByteBuffer b = ByteBuffer.allocate(40).order(ByteOrder.nativeOrder());
        b.putInt(40).putInt(FUSE_NOTIFY_INVAL_INODE).putLong(0);
        b.putLong(node).putLong(0).putLong(0);
        return b.array();
    }
}
