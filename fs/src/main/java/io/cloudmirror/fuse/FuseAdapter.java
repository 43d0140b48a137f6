package io.cloudmirror.fuse;

import io.cloudmirror.fs.Attributes;
import io.cloudmirror.fs.FsException;
import io.cloudmirror.fs.MirrorFileSystem;
import com.kenai.jffi.MemoryIO;
import java.io.IOException;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import ru.serce.jnrfuse.ErrorCodes;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.Statvfs;

/**
 * The FUSE binding: libfuse 3's low-level API, one short method per operation, each resolving the kernel's
 * node id to a path ({@link NodeTable}), calling the core and answering the kernel; failures become errno
 * through {@link Errno}. No exception escapes a callback. Every modifying operation is refused with EROFS.
 *
 * <p>What the low-level API gives over a path-based binding: directories are never opened (OPENDIR answers
 * ENOSYS once), so the kernel keeps every listing in its cache and lists a directory again with no request,
 * until a publish drops it ({@link #invalidate}); {@code readdirplus} hands the kernel each entry's attributes
 * with the listing, so {@code ls -l} after a listing makes no lookups; files are not opened either (OPEN
 * answers ENOSYS once, see {@link #open}), so re-reading a cached file makes no request at all; reads of up
 * to 1 MiB per request.
 *
 * <p>Thread-safe: libfuse calls the operations from the {@link SessionLoop}'s worker threads; each thread
 * has its own scratch memory. {@link #mount} runs the session loop on the calling thread or on a thread of
 * its own.
 */
public final class FuseAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(FuseAdapter.class);
    private static final MemoryIO NATIVE = MemoryIO.getInstance();
    private static final int BLOCK_SIZE = 4096;
    private static final int IO_SIZE = 128 * 1024;
    private static final int NAME_MAX_BYTES = 4096;
    /** {@code struct fuse_file_info}: the bit fields word and {@code fh}. */
    private static final long FI_BITS = 4;
    private static final long FI_FH = 16;
    private static final int FI_DIRECT_IO = 1 << 1;
    private static final int FI_KEEP_CACHE = 1 << 2;
    private static final int FI_CACHE_READDIR = 1 << 6;
    /**
     * How many nodes the kernel may hold through readdirplus before listings go back to plain entries: each
     * costs a {@link NodeTable} entry on the heap for as long as the kernel keeps the inode.
     */
    private static final int PLUS_NODE_BUDGET = 25_000;
    private static final int ENOSYS = 38;
    /** A listing the kernel has not read from for this long is dropped (its reader went away mid-way). */
    private static final long LISTING_IDLE_NANOS = TimeUnit.SECONDS.toNanos(60);
    /**
     * Worker threads at most (libfuse's default), named {@code fuse-worker-N}: started as requests wait,
     * kept once started ({@link SessionLoop}).
     */
    public static final int WORKERS = 10;

    private final LibFuse3 fuse;
    private final Runtime runtime;
    private final int statSize;
    private final Pointer ops;
    private final List<Object> callbacks = new ArrayList<>();
    private final NodeTable nodes = new NodeTable();
    private final KernelNotifier kernel = new KernelNotifier();
    private final ThreadLocal<Scratch> scratch;
    private final LongAdder lookups = new LongAdder();
    private final LongAdder getattrs = new LongAdder();
    private final LongAdder listed = new LongAdder();
    private final LongAdder opens = new LongAdder();
    private final LongAdder reads = new LongAdder();
    private final LongAdder callbackThreads = new LongAdder();
    /** Listings in progress by id: the core's directory handle, of the generation each started in. */
    private final ConcurrentHashMap<Integer, Listing> listings = new ConcurrentHashMap<>();
    private final AtomicInteger listingIds = new AtomicInteger();
    private volatile MirrorFileSystem fs;
    private volatile FuseArgs args = FuseArgs.of();
    private volatile Pointer connOptions;
    private volatile Pointer session;
    /** Whether the kernel opens directories itself when OPENDIR answers ENOSYS (Linux 5.1 and later). */
    private volatile boolean kernelOpensDirectories;
    /**
     * Whether the kernel opens files itself once OPEN answers ENOSYS (and then sends no RELEASE either): file
     * nodes then stand for one version each, read through {@link #handles}.
     */
    private volatile boolean kernelOpensFiles;
    private volatile VersionHandles handles;
    private volatile CountDownLatch loopEnded = new CountDownLatch(0);
    private volatile Path mountpoint;

    /** One listing of a directory: the core's handle, and when the kernel last read a page of it. */
    private static final class Listing {
        final long fh;
        volatile long usedNanos = System.nanoTime();

        Listing(long fh) {
            this.fh = fh;
        }
    }

    /** Per-thread native memory: an entry reply (with its stat), a stat, a name and a data buffer. */
    private final class Scratch {
        final Pointer entry = Memory.allocateDirect(runtime, entrySize(), true);
        final Pointer entryAttr = entry.slice(16);
        final FileStat entryStat = stat(entryAttr);
        final Pointer attr = Memory.allocateDirect(runtime, statSize, true);
        final FileStat attrStat = stat(attr);
        final Pointer name = Memory.allocateDirect(runtime, NAME_MAX_BYTES + 1, true);
        Pointer data;
        ByteBuffer dataBuffer;

        /** A buffer of at least {@code size} bytes at {@link #data}; its contents are not kept. */
        ByteBuffer data(long size) {
            if (data == null || dataBuffer.capacity() < size) {
                int capacity = (int) Math.max(size, 128 * 1024);
                data = Memory.allocateDirect(runtime, capacity, false);
                dataBuffer = NATIVE.newDirectByteBuffer(data.address(), capacity);
            }
            return dataBuffer.clear().limit((int) size);
        }

        /** Puts {@code s} as a NUL-terminated UTF-8 string in {@link #name}; false if it is too long. */
        boolean name(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            if (b.length > NAME_MAX_BYTES) {
                return false;
            }
            name.put(0, b, 0, b.length);
            name.putByte(b.length, (byte) 0);
            return true;
        }
    }

    /**
     * Binds libfuse 3 and builds the operations table (native binding work, which the daemon does while the
     * index opens); {@link #serve} must be called before mounting.
     */
    public FuseAdapter() {
        this.fuse = LibraryLoader.create(LibFuse3.class).failImmediately().load("fuse3");
        this.runtime = Runtime.getRuntime(fuse);
        this.statSize = Struct.size(new FileStat(runtime));
        this.ops = Memory.allocateDirect(runtime, LibFuse3.OPS_SLOTS * 8, true);
        this.scratch = ThreadLocal.withInitial(() -> {
            callbackThreads.increment();
            return new Scratch();
        });
        bind();
    }

    /** An adapter serving {@code fs}. */
    public FuseAdapter(MirrorFileSystem fs) {
        this();
        serve(fs);
    }

    /** Sets the filesystem this adapter serves; call once, before mounting. */
    public FuseAdapter serve(MirrorFileSystem core) {
        if (this.fs != null) {
            throw new IllegalStateException("already serving a filesystem");
        }
        this.fs = core;
        this.handles = new VersionHandles(core, nodes, System::nanoTime);
        return this;
    }

    /**
     * Mounts at {@code mountPoint} and serves until it is unmounted.
     *
     * @param blocking whether to serve on this thread (return when unmounted) or on a new one (return once mounted)
     * @param debug    libfuse's request trace on stderr
     * @param options  libfuse arguments ({@code -o a,b=c}); the timeouts and options of libfuse 2 are understood
     * @throws IllegalStateException if libfuse refuses the options or the mount (libfuse says why on stderr)
     */
    public void mount(Path mountPoint, boolean blocking, boolean debug, String[] options) {
        if (fs == null) {
            throw new IllegalStateException("no filesystem to serve");
        }
        FuseArgs a = FuseArgs.of(options);
        if (!a.dropped().isEmpty()) {
            LOG.debug("options without meaning for libfuse 3's low-level API, ignored: {}", a.dropped());
        }
        this.args = a;
        List<String> argv = new ArrayList<>();
        argv.add("cloudmirror");
        argv.addAll(a.sessionArgs());
        if (debug) {
            argv.add("-d");
        }
        String refused = "libfuse refused the options " + String.join(" ", argv.subList(1, argv.size()))
                + " (see the message above)";
        NativeArgs nativeArgs = new NativeArgs(argv);
        Pointer conn = fuse.fuse_parse_conn_info_opts(nativeArgs.args);
        if (conn == null) {
            throw new IllegalStateException(refused);
        }
        connOptions = conn;
        Pointer se = fuse.fuse_session_new(nativeArgs.args, ops, LibFuse3.OPS_SLOTS * 8L, null);
        fuse.fuse_opt_free_args(nativeArgs.args);
        Reference.reachabilityFence(nativeArgs);
        if (se == null) {
            throw new IllegalStateException(refused);
        }
        if (fuse.fuse_session_mount(se, cString(mountPoint.toString())) != 0) {
            fuse.fuse_session_destroy(se);
            throw new IllegalStateException("libfuse could not mount " + mountPoint + " (see the message above)");
        }
        CountDownLatch ended = new CountDownLatch(1);
        this.loopEnded = ended;
        this.mountpoint = mountPoint;
        this.session = se;
        kernel.attach(fuse.fuse_session_fd(se));
        ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "fuse-handle-sweep");
            t.setDaemon(true);
            return t;
        });
        sweeper.scheduleWithFixedDelay(() -> {
            try {
                handles.sweep();
            } catch (RuntimeException e) {
                LOG.warn("releasing idle file handles failed", e);
            }
        }, 1, 1, TimeUnit.SECONDS);
        Runnable loop = () -> {
            boolean stopped = false;
            try {
                stopped = new SessionLoop(fuse, se, WORKERS).run();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                sweeper.shutdownNow();
                handles.clear(); // no request can come any more: unpin what reads left pinned
                kernel.detach();
                session = null;
                if (stopped) {
                    fuse.fuse_session_unmount(se);
                    fuse.fuse_session_destroy(se);
                }
                ended.countDown();
            }
        };
        if (blocking) {
            loop.run();
        } else {
            Thread t = new Thread(loop, "fuse-loop");
            t.setDaemon(true);
            t.start();
        }
    }

    /** Detaches the mount (lazily, as {@code fusermount3 -u -z} does) and waits for the session to end. */
    public void umount() {
        Path m = mountpoint;
        if (session == null || m == null) {
            return;
        }
        try {
            Process p = new ProcessBuilder("fusermount3", "-u", "-z", m.toString()).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            p.waitFor(15, TimeUnit.SECONDS);
            loopEnded.await(15, TimeUnit.SECONDS);
        } catch (IOException e) {
            LOG.warn("cannot run fusermount3 to unmount {}: {}", m, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Drops the kernel's cached names, attributes and directory listings under the mount root's entry
     * {@code name} (a subvolume, or the synthetic directory above it), so that a newly published generation
     * shows at once. Call from outside FUSE callbacks.
     */
    public boolean invalidate(String name) {
        boolean ok = true;
        // Superseded file versions first: their entries go (an open file keeps its node, and with it its
        // version), so that the next open looks the name up and gets a node of the newest version.
        for (NodeTable.VersionNode v : handles.publishedUnder(NodeTable.ROOT_PATH + name)) {
            long parent = nodes.idOf(NodeTable.parent(v.path()));
            if (parent != 0) {
                ok &= kernel.invalidateEntry(parent, NodeTable.name(v.path()));
            }
        }
        ok &= kernel.invalidateRootEntry(name);
        for (long id : nodes.directoriesUnder(NodeTable.ROOT_PATH + name)) {
            ok &= kernel.invalidateInode(id);
        }
        return ok;
    }

    /**
     * How many requests of {@code operation} ({@code lookup}, {@code getattr}, {@code readdir} (with
     * readdirplus), {@code open} or {@code read}) the kernel has sent: what reached the daemon rather than the
     * kernel's caches.
     */
    public long requests(String operation) {
        return switch (operation) {
            case "lookup" -> lookups.sum();
            case "getattr" -> getattrs.sum();
            case "readdir" -> listed.sum();
            case "open" -> opens.sum();
            case "read" -> reads.sum();
            default -> throw new IllegalArgumentException("not counted: " + operation);
        };
    }

    /**
     * How many threads have run callbacks (each gets its scratch memory on its first): at most {@link #WORKERS}
     * per mount, since the callbacks run on the {@link SessionLoop}'s threads, attached to the JVM for good.
     */
    public long callbackThreads() {
        return callbackThreads.sum();
    }

    // ------------------------------------------------------------------------------------------ operations

    private void bind() {
        set(LibFuse3.OP_INIT, LibFuse3.Init.class, (userdata, conn) -> {
            Pointer options = connOptions;
            if (options != null) {
                fuse.fuse_apply_conn_info_opts(options, conn);
            }
            int capable = conn.getInt(LibFuse3.CONN_CAPABLE_OFFSET);
            kernelOpensDirectories = (capable & LibFuse3.CAP_NO_OPENDIR_SUPPORT) != 0;
            kernelOpensFiles = (capable & LibFuse3.CAP_NO_OPEN_SUPPORT) != 0 && !args.openRequests();
        });
        set(LibFuse3.OP_LOOKUP, LibFuse3.NameOp.class, this::lookup);
        set(LibFuse3.OP_FORGET, LibFuse3.Forget.class, (req, ino, n) -> {
            forget(ino, n);
            fuse.fuse_reply_none(req);
        });
        set(LibFuse3.OP_FORGET_MULTI, LibFuse3.ForgetMulti.class, (req, count, forgets) -> {
            for (long i = 0; i < count; i++) {
                forget(forgets.getLong(i * 16), forgets.getLong(i * 16 + 8));
            }
            fuse.fuse_reply_none(req);
        });
        set(LibFuse3.OP_GETATTR, LibFuse3.InodeOp.class, this::getattr);
        set(LibFuse3.OP_OPEN, LibFuse3.InodeOp.class, this::open);
        set(LibFuse3.OP_READ, LibFuse3.Ranged.class, this::read);
        set(LibFuse3.OP_RELEASE, LibFuse3.InodeOp.class, (req, ino, fi) -> {
            fs.release(fi.getLong(FI_FH));
            fuse.fuse_reply_err(req, 0);
        });
        // flush is deliberately not set: the kernel then stops sending FLUSH on every close (ENOSYS once).
        set(LibFuse3.OP_FSYNC, LibFuse3.Fsync.class, (req, ino, datasync, fi) -> fuse.fuse_reply_err(req, 0));
        set(LibFuse3.OP_OPENDIR, LibFuse3.InodeOp.class, this::opendir);
        set(LibFuse3.OP_READDIR, LibFuse3.Ranged.class, (req, ino, size, off, fi) -> readdir(req, ino, size, off, fi,
                false));
        set(LibFuse3.OP_READDIRPLUS, LibFuse3.Ranged.class, (req, ino, size, off, fi) -> readdir(req, ino, size, off,
                fi, true));
        // Directories have no handle in the daemon (listings carry their own): nothing to release.
        set(LibFuse3.OP_RELEASEDIR, LibFuse3.InodeOp.class, (req, ino, fi) -> fuse.fuse_reply_err(req, 0));
        set(LibFuse3.OP_STATFS, LibFuse3.Statfs.class, this::statfs);
        set(LibFuse3.OP_GETXATTR, LibFuse3.GetXattr.class, this::getxattr);
        set(LibFuse3.OP_LISTXATTR, LibFuse3.ListXattr.class, this::listxattr);
        set(LibFuse3.OP_ACCESS, LibFuse3.Access.class, (req, ino, mask) -> {
            String path = nodes.path(ino);
            try {
                fs.access(known(path, ino), mask);
                fuse.fuse_reply_err(req, 0);
            } catch (Throwable t) {
                fuse.fuse_reply_err(req, -Errno.of("access", path, t));
            }
        });
        // Every modification is refused.
        set(LibFuse3.OP_SETATTR, LibFuse3.SetAttr.class, (req, ino, attr, toSet, fi) -> refuse(req, "setattr",
                nodes.path(ino)));
        set(LibFuse3.OP_MKNOD, LibFuse3.Mknod.class, (req, parent, name, mode, rdev) -> refuse(req, "mknod",
                child(parent, name)));
        set(LibFuse3.OP_MKDIR, LibFuse3.Mkdir.class, (req, parent, name, mode) -> refuse(req, "mkdir",
                child(parent, name)));
        set(LibFuse3.OP_UNLINK, LibFuse3.NameOp.class, (req, parent, name) -> refuse(req, "unlink",
                child(parent, name)));
        set(LibFuse3.OP_RMDIR, LibFuse3.NameOp.class, (req, parent, name) -> refuse(req, "rmdir",
                child(parent, name)));
        set(LibFuse3.OP_SYMLINK, LibFuse3.Symlink.class, (req, link, parent, name) -> refuse(req, "symlink",
                child(parent, name)));
        set(LibFuse3.OP_RENAME, LibFuse3.Rename.class, (req, parent, name, newParent, newName, flags) ->
                refuse(req, "rename", child(parent, name)));
        set(LibFuse3.OP_LINK, LibFuse3.Link.class, (req, ino, newParent, newName) -> refuse(req, "link",
                child(newParent, newName)));
        set(LibFuse3.OP_WRITE, LibFuse3.Write.class, (req, ino, buf, size, off, fi) -> refuse(req, "write",
                nodes.path(ino)));
        set(LibFuse3.OP_SETXATTR, LibFuse3.SetXattr.class, (req, ino, name, value, size, flags) -> refuse(req,
                "setxattr", nodes.path(ino)));
        set(LibFuse3.OP_REMOVEXATTR, LibFuse3.NameOp.class, (req, ino, name) -> refuse(req, "removexattr",
                nodes.path(ino)));
        set(LibFuse3.OP_CREATE, LibFuse3.Create.class, (req, parent, name, mode, fi) -> refuse(req, "create",
                child(parent, name)));
        set(LibFuse3.OP_FALLOCATE, LibFuse3.Fallocate.class, (req, ino, mode, off, len, fi) -> refuse(req,
                "fallocate", nodes.path(ino)));
    }

    private <T> void set(int slot, Class<T> type, T callback) {
        Pointer p = runtime.getClosureManager().getClosurePointer(type, callback);
        callbacks.add(callback);
        callbacks.add(p);
        ops.putAddress(slot * 8L, p.address());
    }

    private void lookup(Pointer req, long parent, Pointer namePtr) {
        lookups.increment();
        String name = string(namePtr);
        String path = nodes.child(parent, name);
        try {
            MirrorFileSystem.Found f = fs.find(known(path, parent));
            Scratch s = scratch.get();
            long id = ref(path, f);
            entry(s, id, f.attributes());
            if (fuse.fuse_reply_entry(req, s.entry) != 0) {
                forget(id, 1); // interrupted: the kernel did not take the reference
            }
        } catch (Throwable t) {
            int errno = -Errno.of("lookup", path, t);
            double negative = args.negativeTimeout();
            if (errno == ErrorCodes.ENOENT() && negative > 0) {
                Scratch s = scratch.get();
                s.entry.setMemory(0, entrySize(), (byte) 0);
                s.entry.putDouble(24 + statSize, negative);
                fuse.fuse_reply_entry(req, s.entry);
            } else {
                fuse.fuse_reply_err(req, errno);
            }
        }
    }

    /** A node for {@code path}: where the kernel opens files itself, one per version of a file. */
    private long ref(String path, MirrorFileSystem.Found f) {
        return nodes.ref(path, f.attributes().isDirectory(), kernelOpensFiles ? f.version() : null);
    }

    private void forget(long ino, long n) {
        if (nodes.forget(ino, n)) {
            handles.forgotten(ino);
        }
    }

    /**
     * stat of a node: of its version if it stands for one, else of the open file's version if the kernel
     * names one, else of its path now.
     */
    private void getattr(Pointer req, long ino, Pointer fi) {
        getattrs.increment();
        String path = nodes.path(ino);
        try {
            MirrorFileSystem.Version v = nodes.version(ino);
            long fh = fi != null && fi.address() != 0 ? fi.getLong(FI_FH) : 0;
            Attributes a = v != null ? fs.attributes(v) : fh != 0 ? fs.fgetattr(fh) : fs.getattr(known(path, ino));
            Scratch s = scratch.get();
            fill(s.attr, s.attrStat, a);
            fuse.fuse_reply_attr(req, s.attr, args.attrTimeout());
        } catch (Throwable t) {
            fuse.fuse_reply_err(req, -Errno.of("getattr", path, t));
        }
    }

    /**
     * Opens a file. A kernel that can open files itself gets ENOSYS once, and from then on opens every file
     * with {@code keep_cache} and sends neither OPEN nor RELEASE: each node stands for one version of its
     * file, so its pages can be kept, and reads come without a handle ({@link VersionHandles}). The mount is
     * read-only, so the kernel itself refuses opens for writing.
     */
    private void open(Pointer req, long ino, Pointer fi) {
        opens.increment();
        String path = nodes.path(ino);
        if (kernelOpensFiles && (fi.getInt(0) & MirrorFileSystem.WRITE_FLAGS) == 0) {
            fuse.fuse_reply_err(req, ENOSYS);
            return;
        }
        try {
            MirrorFileSystem.Opened o = fs.open(known(path, ino), fi.getInt(0));
            fi.putLong(FI_FH, o.fh());
            int bits = fi.getInt(FI_BITS) & ~(FI_KEEP_CACHE | FI_DIRECT_IO);
            bits |= (o.keepCache() ? FI_KEEP_CACHE : 0) | (o.directIo() ? FI_DIRECT_IO : 0);
            fi.putInt(FI_BITS, bits);
            if (fuse.fuse_reply_open(req, fi) != 0) {
                fs.release(o.fh()); // interrupted: the kernel will not release it
            }
        } catch (Throwable t) {
            fuse.fuse_reply_err(req, -Errno.of("open", path, t));
        }
    }

    /** Reads into this thread's buffer and hands it to libfuse. */
    private void read(Pointer req, long ino, long size, long offset, Pointer fi) {
        reads.increment();
        try {
            Scratch s = scratch.get();
            ByteBuffer buf = s.data(Math.min(size, Integer.MAX_VALUE));
            long fh = fi.getLong(FI_FH);
            int n = fh != 0 ? fs.read(fh, offset, buf) : handles.read(ino, offset, buf);
            fuse.fuse_reply_buf(req, s.data, Math.max(n, 0));
        } catch (Throwable t) {
            fuse.fuse_reply_err(req, -Errno.of("read", nodes.path(ino), t));
        }
    }

    /**
     * Answers ENOSYS, once: the kernel then never sends OPENDIR or RELEASEDIR again and opens every directory
     * with {@code keep_cache} and {@code cache_readdir}, so a directory listed once is listed again from the
     * kernel's cache with no request at all. The generation a listing reads is pinned by the listing id in its
     * offsets instead ({@link #readdir}). A kernel older than 5.1 cannot do that; there each directory is opened
     * with no handle and the same two flags.
     */
    private void opendir(Pointer req, long ino, Pointer fi) {
        if (kernelOpensDirectories) {
            fuse.fuse_reply_err(req, ENOSYS);
            return;
        }
        // An older kernel: open with no handle (listings carry their own), asking it to cache the listing.
        fi.putLong(FI_FH, 0);
        fi.putInt(FI_BITS, fi.getInt(FI_BITS) | FI_KEEP_CACHE | FI_CACHE_READDIR);
        fuse.fuse_reply_open(req, fi);
    }

    /**
     * Lists from {@code offset} into a reply of at most {@code size} bytes. With {@code plus}, each entry carries
     * its attributes and a node reference, while the node budget lasts; past it (and for {@code .} and
     * {@code ..}) entries carry none, and the kernel looks them up when they are used.
     *
     * <p>Directories have no open handle (see {@link #opendir}), so the offsets carry one: the high 32 bits
     * name a {@link Listing}, opened at offset 0 on the generation current then, the low 32 bits are the
     * core's offset in it. Every page of a listing comes from the same generation; the listing ends with the
     * kernel's last, empty page, or after a minute without reads. An offset naming a listing that has ended
     * continues at the same position in the current generation.
     */
    private void readdir(Pointer req, long ino, long size, long offset, Pointer fi, boolean plus) {
        listed.increment();
        String path = nodes.path(ino);
        int id = (int) (offset >>> 32);
        Listing listing = id == 0 ? null : listings.get(id);
        try {
            if (listing == null) {
                sweepListings();
                listing = new Listing(fs.opendir(known(path, ino)));
                do {
                    id = listingIds.incrementAndGet() & Integer.MAX_VALUE;
                } while (id == 0 || listings.putIfAbsent(id, listing) != null);
            }
            listing.usedNanos = System.nanoTime();
            long cookie = (long) id << 32;
            Scratch s = scratch.get();
            s.data(size);
            Pointer buf = s.data;
            long[] used = {0};
            boolean attributes = plus && nodes.size() < PLUS_NODE_BUDGET;
            fs.readdir(listing.fh, offset & 0xffffffffL, (name, inode, directory, coreNext) -> {
                long next = cookie | coreNext;
                if (!s.name(name)) {
                    return true;
                }
                long room = size - used[0];
                long need;
                if (plus) {
                    long node = attributes && !name.equals(".") && !name.equals("..") ? plusEntry(s, path, name) : 0;
                    if (node == 0) {
                        s.entry.setMemory(0, entrySize(), (byte) 0);
                        typeOnly(s.entryAttr, s.entryStat, inode, directory);
                    }
                    need = fuse.fuse_add_direntry_plus(req, buf.slice(used[0]), room, s.name, s.entry, next);
                    if (need > room && node != 0) {
                        forget(node, 1);
                    }
                } else {
                    typeOnly(s.attr, s.attrStat, inode, directory);
                    need = fuse.fuse_add_direntry(req, buf.slice(used[0]), room, s.name, s.attr, next);
                }
                if (need > room) {
                    return false;
                }
                used[0] += need;
                return true;
            });
            if (used[0] == 0) {
                endListing(id);
            }
            fuse.fuse_reply_buf(req, buf, used[0]);
        } catch (Throwable t) {
            endListing(id);
            fuse.fuse_reply_err(req, -Errno.of(plus ? "readdirplus" : "readdir", path, t));
        }
    }

    private void endListing(int id) {
        Listing l = id == 0 ? null : listings.remove(id);
        if (l != null) {
            fs.releasedir(l.fh);
        }
    }

    /** Ends the listings whose readers went away mid-way. */
    private void sweepListings() {
        long now = System.nanoTime();
        listings.forEach((id, l) -> {
            if (now - l.usedNanos > LISTING_IDLE_NANOS) {
                endListing(id);
            }
        });
    }

    /** Fills this thread's entry with {@code dir/name} and a node reference; 0 if it is gone (no attributes). */
    private long plusEntry(Scratch s, String dir, String name) {
        String path = NodeTable.join(dir, name);
        MirrorFileSystem.Found f;
        try {
            f = fs.find(path);
        } catch (FsException e) {
            return 0; // changed since the directory was opened: the kernel looks it up when it needs it
        }
        long id = ref(path, f);
        entry(s, id, f.attributes());
        return id;
    }

    private void statfs(Pointer req, long ino) {
        try {
            MirrorFileSystem.FsTotals totals = fs.totals();
            Statvfs st = new Statvfs(runtime);
            Pointer mem = Memory.allocateDirect(runtime, Struct.size(st), true);
            st.useMemory(mem);
            st.f_bsize.set(BLOCK_SIZE);
            st.f_frsize.set(BLOCK_SIZE);
            st.f_blocks.set((totals.bytes() + BLOCK_SIZE - 1) / BLOCK_SIZE);
            st.f_bfree.set(0);
            st.f_bavail.set(0);
            st.f_files.set(totals.nodes());
            st.f_ffree.set(0);
            st.f_favail.set(0);
            st.f_namemax.set(255);
            fuse.fuse_reply_statfs(req, mem);
        } catch (Throwable t) {
            fuse.fuse_reply_err(req, -Errno.of("statfs", nodes.path(ino), t));
        }
    }

    private void getxattr(Pointer req, long ino, Pointer namePtr, long size) {
        String path = nodes.path(ino);
        try {
            replyBytes(req, fs.getxattr(known(path, ino), string(namePtr)), size);
        } catch (Throwable t) {
            fuse.fuse_reply_err(req, -Errno.of("getxattr", path, t));
        }
    }

    private void listxattr(Pointer req, long ino, long size) {
        String path = nodes.path(ino);
        try {
            StringBuilder sb = new StringBuilder();
            for (String n : fs.listxattr(known(path, ino))) {
                sb.append(n).append('\0');
            }
            replyBytes(req, sb.toString().getBytes(StandardCharsets.UTF_8), size);
        } catch (Throwable t) {
            fuse.fuse_reply_err(req, -Errno.of("listxattr", path, t));
        }
    }

    /** The size when the caller asks for it (size 0), ERANGE when its buffer is too small, else the bytes. */
    private void replyBytes(Pointer req, byte[] bytes, long size) {
        if (size == 0) {
            fuse.fuse_reply_xattr(req, bytes.length);
        } else if (size < bytes.length) {
            fuse.fuse_reply_err(req, ErrorCodes.ERANGE());
        } else {
            Scratch s = scratch.get();
            s.data(bytes.length).put(bytes);
            fuse.fuse_reply_buf(req, s.data, bytes.length);
        }
    }

    private void refuse(Pointer req, String operation, String path) {
        try {
            fs.modify(operation, path);
            fuse.fuse_reply_err(req, ErrorCodes.EROFS());
        } catch (Throwable t) {
            fuse.fuse_reply_err(req, -Errno.of(operation, path, t));
        }
    }

    // ------------------------------------------------------------------------------------------ helpers

    private String child(long parent, Pointer name) {
        return nodes.child(parent, string(name));
    }

    /** {@code path}, or a stale-handle failure when the kernel named a node this table does not hold. */
    private static String known(String path, long ino) throws FsException {
        if (path == null) {
            throw new FsException.Stale("node " + ino + " is not known", null);
        }
        return path;
    }

    private void entry(Scratch s, long id, Attributes a) {
        s.entry.putLong(0, id);
        s.entry.putLong(8, 0);
        fill(s.entryAttr, s.entryStat, a);
        s.entry.putDouble(16 + statSize, args.attrTimeout());
        s.entry.putDouble(24 + statSize, args.entryTimeout());
    }

    /** {@code struct fuse_entry_param}: node id, generation, the stat, two timeouts. */
    private int entrySize() {
        return 32 + statSize;
    }

    /** A stat with only the inode number and the file type, as a plain directory entry carries. */
    private void typeOnly(Pointer mem, FileStat stat, long inode, boolean directory) {
        mem.setMemory(0, statSize, (byte) 0);
        stat.st_ino.set(inode);
        stat.st_mode.set(directory ? FileStat.S_IFDIR : FileStat.S_IFREG);
    }

    private void fill(Pointer mem, FileStat stat, Attributes a) {
        mem.setMemory(0, statSize, (byte) 0);
        stat.st_ino.set(a.inode());
        stat.st_mode.set((a.isDirectory() ? FileStat.S_IFDIR : FileStat.S_IFREG) | a.mode());
        stat.st_nlink.set(a.nlink());
        stat.st_uid.set(a.uid());
        stat.st_gid.set(a.gid());
        stat.st_size.set(a.size());
        stat.st_blocks.set(a.blocks());
        stat.st_blksize.set(IO_SIZE);
        long sec = a.mtime().getEpochSecond();
        int nsec = a.mtime().getNano();
        stat.st_mtim.tv_sec.set(sec);
        stat.st_mtim.tv_nsec.set(nsec);
        stat.st_ctim.tv_sec.set(sec);
        stat.st_ctim.tv_nsec.set(nsec);
        stat.st_atim.tv_sec.set(sec);
        stat.st_atim.tv_nsec.set(nsec);
    }

    private FileStat stat(Pointer mem) {
        FileStat st = new FileStat(runtime);
        st.useMemory(mem);
        return st;
    }

    private static String string(Pointer p) {
        return p == null ? "" : p.getString(0, NAME_MAX_BYTES, StandardCharsets.UTF_8);
    }

    private static byte[] cString(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        byte[] z = new byte[b.length + 1];
        System.arraycopy(b, 0, z, 0, b.length);
        return z;
    }

    /** A native {@code struct fuse_args} over copies of {@code argv}, kept reachable while libfuse reads it. */
    private final class NativeArgs {
        final Pointer args;
        private final List<Pointer> strings = new ArrayList<>();

        NativeArgs(List<String> argv) {
            Pointer array = Memory.allocateDirect(runtime, (argv.size() + 1) * 8L, true);
            for (int i = 0; i < argv.size(); i++) {
                byte[] b = cString(argv.get(i));
                Pointer p = Memory.allocateDirect(runtime, b.length, true);
                p.put(0, b, 0, b.length);
                strings.add(p);
                array.putAddress(i * 8L, p.address());
            }
            strings.add(array);
            args = Memory.allocateDirect(runtime, 24, true);
            args.putInt(0, argv.size());
            args.putAddress(8, array.address());
            args.putInt(16, 0);
        }
    }
}
