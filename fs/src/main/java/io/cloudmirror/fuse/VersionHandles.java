package io.cloudmirror.fuse;

import io.cloudmirror.fs.FsException;
import io.cloudmirror.fs.MirrorFileSystem;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The core's read handles of the file nodes that stand for one version each, for a kernel that sends no
 * OPEN or RELEASE: a node's handle is opened by its first READ and pins that version in the block cache.
 * The kernel keeps an inode after its files close, so the daemon cannot tell open from cached; it releases a
 * handle when the kernel forgets the node, or after {@link #IDLE_NANOS} without reads while its version is
 * still the path's newest ({@link #sweep}, which the adapter runs every second; a later read opens it again).
 * A version a publish superseded keeps a handle, opened then if it had none, until its node is forgotten: the
 * publish drops the kernel's entries, so only processes holding the file open keep such a node, and the
 * version's cached blocks stay for them.
 *
 * <p>Thread-safe: reads, forgets and sweeps of one node may run at once on different threads; a handle is
 * released only when no read is using it.
 */
final class VersionHandles {

    private static final Logger LOG = LoggerFactory.getLogger(VersionHandles.class);
    /** How long a handle of a newest version stays open without reads. */
    static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final MirrorFileSystem fs;
    private final NodeTable nodes;
    private final LongSupplier nanos;
    private final ConcurrentHashMap<Long, Handle> byNode = new ConcurrentHashMap<>();

    /** One core handle: the reads using it, -1 once it is released. */
    private final class Handle {
        final long fh;
        final AtomicInteger users = new AtomicInteger();
        volatile long usedNanos;
        volatile boolean superseded;
        volatile boolean retired;

        Handle(long fh) {
            this.fh = fh;
            this.usedNanos = nanos.getAsLong();
        }

        boolean enter() {
            for (int u = users.get(); u >= 0; u = users.get()) {
                if (users.compareAndSet(u, u + 1)) {
                    return true;
                }
            }
            return false;
        }

        void exit() {
            if (users.decrementAndGet() == 0 && retired) {
                releaseIfUnused();
            }
        }

        /** Releases the core handle now if no read uses it, else when the last one ends. */
        void retire() {
            retired = true;
            releaseIfUnused();
        }

        private void releaseIfUnused() {
            if (users.compareAndSet(0, -1)) {
                fs.release(fh);
            }
        }
    }

    VersionHandles(MirrorFileSystem fs, NodeTable nodes, LongSupplier nanos) {
        this.fs = fs;
        this.nodes = nodes;
        this.nanos = nanos;
    }

    /**
     * Reads the version node {@code node} stands for into {@code dst}, through its handle.
     *
     * @return bytes read, 0 at the end
     */
    int read(long node, long offset, ByteBuffer dst) throws FsException {
        while (true) {
            Handle h = handle(node);
            if (h.enter()) {
                try {
                    h.usedNanos = nanos.getAsLong();
                    return fs.read(h.fh, offset, dst);
                } finally {
                    h.exit();
                }
            }
            byNode.remove(node, h); // released by a sweep or a forget between the two lines: open again
        }
    }

    private Handle handle(long node) throws FsException {
        Handle h = byNode.get(node);
        if (h != null) {
            return h;
        }
        String path = nodes.path(node);
        MirrorFileSystem.Version v = nodes.version(node);
        if (path == null || v == null) {
            throw new FsException.BadHandle(node);
        }
        Handle opened = new Handle(fs.openVersion(path, v));
        h = byNode.putIfAbsent(node, opened);
        if (h != null) {
            fs.release(opened.fh); // another read opened it first
            return h;
        }
        return opened;
    }

    /** The kernel forgot {@code node}: no process can read it any more. */
    void forgotten(long node) {
        Handle h = byNode.remove(node);
        if (h != null) {
            h.retire();
        }
    }

    /**
     * A publish changed the tree under {@code top} (a path such as {@code /name}): every version node under it
     * that the newest tree no longer has keeps (or gets) a handle, so that its cached blocks stay for the
     * processes that hold it open. Must run before the kernel's entries are dropped and before the
     * prefetcher's next pass.
     *
     * @return the superseded version nodes, whose names the kernel must look up again
     */
    List<NodeTable.VersionNode> publishedUnder(String top) {
        List<NodeTable.VersionNode> superseded = new ArrayList<>();
        for (NodeTable.VersionNode n : nodes.versionsUnder(top)) {
            if (isNewest(n)) {
                continue;
            }
            superseded.add(n);
            try {
                handle(n.id()).superseded = true;
            } catch (FsException e) {
                LOG.debug("cannot hold the superseded version of {}: {}", n.path(), e.getMessage());
            }
        }
        return superseded;
    }

    private boolean isNewest(NodeTable.VersionNode n) {
        try {
            return n.version().same(fs.find(n.path()).version());
        } catch (FsException e) {
            return false; // gone from the tree
        }
    }

    /** Releases the handles of newest versions unread for {@link #IDLE_NANOS}. */
    void sweep() {
        long now = nanos.getAsLong();
        byNode.forEach((node, h) -> {
            if (!h.superseded && now - h.usedNanos > IDLE_NANOS && byNode.remove(node, h)) {
                h.retire();
            }
        });
    }

    /** Handles open now. */
    int size() {
        return byNode.size();
    }

    /** Releases every handle (the file system is unmounted). */
    void clear() {
        byNode.keySet().forEach(this::forgotten);
    }
}
