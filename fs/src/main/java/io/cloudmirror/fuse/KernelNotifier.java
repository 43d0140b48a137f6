package io.cloudmirror.fuse;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.types.size_t;
import jnr.ffi.types.u_int64_t;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the kernel to drop cached names and attributes, through libfuse 2's low-level notify calls
 * (which jnr-fuse does not bind). The high-level API hides node ids, but the mount root is always node 1,
 * so invalidating one of its entries drops that whole subtree from the dentry cache: every path below is
 * looked up again and gets fresh attributes, while inodes held by open files survive.
 *
 * <p>Thread-safe; must not be called from inside a FUSE callback (the kernel would wait on itself).
 */
final class KernelNotifier {

    private static final Logger LOG = LoggerFactory.getLogger(KernelNotifier.class);
    private static final long ROOT_NODE = 1;

    /** The libfuse 2 functions used, bound by jnr-ffi. */
    public interface LibFuseNotify {
        Pointer fuse_get_session(Pointer fuse);

        Pointer fuse_session_next_chan(Pointer session, Pointer previous);

        int fuse_lowlevel_notify_inval_entry(Pointer channel, @u_int64_t long parent, byte[] name,
                                             @size_t long nameLength);
    }

    private final LibFuseNotify lib;
    private volatile Pointer fuse;

    KernelNotifier() {
        this.lib = LibraryLoader.create(LibFuseNotify.class).failImmediately().load("libfuse.so.2");
    }

    /** Remembers the {@code struct fuse} of the running session (from the init callback). */
    void attach(Pointer fuse) {
        this.fuse = fuse;
    }

    /**
     * Drops the entry {@code name} of the mount root, and with it everything cached below it.
     *
     * @return true if the kernel took the notification (or had nothing cached)
     */
    boolean invalidateRootEntry(String name) {
        Pointer f = fuse;
        if (f == null) {
            LOG.debug("not mounted yet; nothing to invalidate for {}", name);
            return true;
        }
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        byte[] cString = Arrays.copyOf(bytes, bytes.length + 1);
        Pointer channel = lib.fuse_session_next_chan(lib.fuse_get_session(f), null);
        int rc = lib.fuse_lowlevel_notify_inval_entry(channel, ROOT_NODE, cString, bytes.length);
        if (rc == 0 || rc == -2 /* ENOENT: nothing cached */) {
            LOG.debug("kernel cache invalidated under /{}", name);
            return true;
        }
        LOG.warn("the kernel refused to invalidate its cache under /{} (error {}); changes show after attr_timeout",
                name, -rc);
        return false;
    }
}
