package io.cloudmirror.fuse;

import io.cloudmirror.fs.Attributes;
import io.cloudmirror.fs.MirrorFileSystem;
import com.kenai.jffi.MemoryIO;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import jnr.ffi.types.dev_t;
import jnr.ffi.types.gid_t;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.uid_t;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

/**
 * The jnr-fuse binding: one short method per FUSE operation, each calling the core and turning its
 * failures into errno through {@link Errno}. No exception escapes a callback. Every modifying operation
 * is refused with EROFS.
 *
 * <p>Thread-safe: libfuse calls these methods from its worker threads. Reads land directly in libfuse's
 * native buffer, with no copy through the Java heap.
 */
public final class FuseAdapter extends FuseStubFS {

    private static final int BLOCK_SIZE = 4096;
    private static final int IO_SIZE = 128 * 1024;
    private static final MemoryIO NATIVE = MemoryIO.getInstance();

    private volatile MirrorFileSystem fs;
    private final KernelNotifier kernel = new KernelNotifier();
    private final ThreadLocal<Pointer> direntStats;

    /**
     * Binds libfuse (about half a second of native binding work, which the daemon does while the index
     * opens); {@link #serve} must be called before mounting.
     */
    public FuseAdapter() {
        Runtime runtime = Runtime.getSystemRuntime();
        int statSize = Struct.size(new FileStat(runtime));
        this.direntStats = ThreadLocal.withInitial(() -> runtime.getMemoryManager().allocateDirect(statSize, true));
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
        return this;
    }

    @Override
    public Pointer init(Pointer conn) {
        kernel.attach(libFuse.fuse_get_context().fuse.get());
        return null;
    }

    @Override
    public void destroy(Pointer initResult) {
        kernel.detach();
    }

    /**
     * Drops the kernel's cached names and attributes under the mount root's entry {@code name} (a
     * subvolume, or the synthetic directory above it), so that a newly published generation shows at once.
     * Call from outside FUSE callbacks.
     */
    public boolean invalidate(String name) {
        return kernel.invalidateRootEntry(name);
    }

    @Override
    public int getattr(String path, FileStat stat) {
        try {
            fill(stat, fs.getattr(path));
            return 0;
        } catch (Throwable t) {
            return Errno.of("getattr", path, t);
        }
    }

    @Override
    public int fgetattr(String path, FileStat stat, FuseFileInfo fi) {
        try {
            fill(stat, fs.fgetattr(fi.fh.get()));
            return 0;
        } catch (Throwable t) {
            return Errno.of("fgetattr", path, t);
        }
    }

    @Override
    public int access(String path, int mask) {
        try {
            fs.access(path, mask);
            return 0;
        } catch (Throwable t) {
            return Errno.of("access", path, t);
        }
    }

    @Override
    public int open(String path, FuseFileInfo fi) {
        try {
            MirrorFileSystem.Opened o = fs.open(path, fi.flags.get());
            fi.fh.set(o.fh());
            if (o.keepCache()) {
                FileInfoBits.set(fi, FileInfoBits.KEEP_CACHE);
            }
            if (o.directIo()) {
                FileInfoBits.set(fi, FileInfoBits.DIRECT_IO);
            }
            return 0;
        } catch (Throwable t) {
            return Errno.of("open", path, t);
        }
    }

    /** Reads straight into libfuse's buffer, through a direct ByteBuffer over its native memory. */
    @Override
    public int read(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        try {
            ByteBuffer b = NATIVE.newDirectByteBuffer(buf.address(), (int) Math.min(size, Integer.MAX_VALUE));
            return fs.read(fi.fh.get(), offset, b);
        } catch (Throwable t) {
            return Errno.of("read", path, t);
        }
    }

    @Override
    public int release(String path, FuseFileInfo fi) {
        fs.release(fi.fh.get());
        return 0;
    }

    // flush is deliberately not implemented: the kernel then stops sending FLUSH on every close (ENOSYS
    // once), which saves a round trip per file read; there is nothing to flush on a read-only mount.

    @Override
    public int fsync(String path, int isdatasync, FuseFileInfo fi) {
        return 0;
    }

    @Override
    public int opendir(String path, FuseFileInfo fi) {
        try {
            fi.fh.set(fs.opendir(path));
            return 0;
        } catch (Throwable t) {
            return Errno.of("opendir", path, t);
        }
    }

    @Override
    public int readdir(String path, Pointer buf, FuseFillDir filler, @off_t long offset, FuseFileInfo fi) {
        try {
            Pointer stat = direntStats.get();
            FileStat st = FileStat.of(stat);
            fs.readdir(fi.fh.get(), offset, (name, inode, directory, next) -> {
                st.st_ino.set(inode);
                st.st_mode.set(directory ? FileStat.S_IFDIR : FileStat.S_IFREG);
                return filler.apply(buf, cString(name), stat, next) == 0;
            });
            return 0;
        } catch (Throwable t) {
            return Errno.of("readdir", path, t);
        }
    }

    @Override
    public int releasedir(String path, FuseFileInfo fi) {
        fs.releasedir(fi.fh.get());
        return 0;
    }

    @Override
    public int getxattr(String path, String name, Pointer value, @size_t long size) {
        try {
            return copyOut(fs.getxattr(path, name), value, size);
        } catch (Throwable t) {
            return Errno.of("getxattr", path, t);
        }
    }

    @Override
    public int listxattr(String path, Pointer list, @size_t long size) {
        try {
            List<String> names = fs.listxattr(path);
            StringBuilder sb = new StringBuilder();
            for (String n : names) {
                sb.append(n).append('\0');
            }
            return copyOut(sb.toString().getBytes(StandardCharsets.UTF_8), list, size);
        } catch (Throwable t) {
            return Errno.of("listxattr", path, t);
        }
    }

    @Override
    public int statfs(String path, Statvfs stbuf) {
        try {
            MirrorFileSystem.FsTotals totals = fs.totals();
            stbuf.f_bsize.set(BLOCK_SIZE);
            stbuf.f_frsize.set(BLOCK_SIZE);
            stbuf.f_blocks.set((totals.bytes() + BLOCK_SIZE - 1) / BLOCK_SIZE);
            stbuf.f_bfree.set(0);
            stbuf.f_bavail.set(0);
            stbuf.f_files.set(totals.nodes());
            stbuf.f_ffree.set(0);
            stbuf.f_favail.set(0);
            stbuf.f_namemax.set(255);
            return 0;
        } catch (Throwable t) {
            return Errno.of("statfs", path, t);
        }
    }

    // Every modification is refused.

    @Override
    public int mknod(String path, @mode_t long mode, @dev_t long rdev) {
        return refuse("mknod", path);
    }

    @Override
    public int mkdir(String path, @mode_t long mode) {
        return refuse("mkdir", path);
    }

    @Override
    public int unlink(String path) {
        return refuse("unlink", path);
    }

    @Override
    public int rmdir(String path) {
        return refuse("rmdir", path);
    }

    @Override
    public int symlink(String oldpath, String newpath) {
        return refuse("symlink", newpath);
    }

    @Override
    public int rename(String oldpath, String newpath) {
        return refuse("rename", oldpath);
    }

    @Override
    public int link(String oldpath, String newpath) {
        return refuse("link", newpath);
    }

    @Override
    public int chmod(String path, @mode_t long mode) {
        return refuse("chmod", path);
    }

    @Override
    public int chown(String path, @uid_t long uid, @gid_t long gid) {
        return refuse("chown", path);
    }

    @Override
    public int truncate(String path, @off_t long size) {
        return refuse("truncate", path);
    }

    @Override
    public int ftruncate(String path, @off_t long size, FuseFileInfo fi) {
        return refuse("ftruncate", path);
    }

    @Override
    public int write(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        return refuse("write", path);
    }

    @Override
    public int create(String path, @mode_t long mode, FuseFileInfo fi) {
        return refuse("create", path);
    }

    @Override
    public int utimens(String path, Timespec[] timespec) {
        return refuse("utimens", path);
    }

    @Override
    public int setxattr(String path, String name, Pointer value, @size_t long size, int flags) {
        return refuse("setxattr", path);
    }

    @Override
    public int removexattr(String path, String name) {
        return refuse("removexattr", path);
    }

    @Override
    public int fallocate(String path, int mode, @off_t long off, @off_t long length, FuseFileInfo fi) {
        return refuse("fallocate", path);
    }

    private int refuse(String operation, String path) {
        try {
            fs.modify(operation, path);
            return 0;
        } catch (Throwable t) {
            return Errno.of(operation, path, t);
        }
    }

    private static int copyOut(byte[] bytes, Pointer dst, long size) {
        if (size == 0) {
            return bytes.length;
        }
        if (size < bytes.length) {
            return -ru.serce.jnrfuse.ErrorCodes.ERANGE();
        }
        dst.put(0, bytes, 0, bytes.length);
        return bytes.length;
    }

    private static ByteBuffer cString(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(b.length + 1).put(b).put((byte) 0).flip();
    }

    private static void fill(FileStat stat, Attributes a) {
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

}
