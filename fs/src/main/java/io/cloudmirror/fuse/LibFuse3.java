package io.cloudmirror.fuse;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.Delegate;
import jnr.ffi.annotations.In;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;

/**
 * The part of libfuse 3's low-level API that cloudmirror uses, bound by jnr-ffi, and the callback shapes
 * of {@code struct fuse_lowlevel_ops}. Names are the C names. Strings go in as NUL-terminated UTF-8 bytes.
 */
public interface LibFuse3 {

    /** The slots of {@code struct fuse_lowlevel_ops} (libfuse 3.14 order), 8 bytes each. */
    int OP_INIT = 0;
    int OP_LOOKUP = 2;
    int OP_FORGET = 3;
    int OP_GETATTR = 4;
    int OP_SETATTR = 5;
    int OP_MKNOD = 7;
    int OP_MKDIR = 8;
    int OP_UNLINK = 9;
    int OP_RMDIR = 10;
    int OP_SYMLINK = 11;
    int OP_RENAME = 12;
    int OP_LINK = 13;
    int OP_OPEN = 14;
    int OP_READ = 15;
    int OP_WRITE = 16;
    int OP_RELEASE = 18;
    int OP_FSYNC = 19;
    int OP_OPENDIR = 20;
    int OP_READDIR = 21;
    int OP_RELEASEDIR = 22;
    int OP_STATFS = 24;
    int OP_SETXATTR = 25;
    int OP_GETXATTR = 26;
    int OP_LISTXATTR = 27;
    int OP_REMOVEXATTR = 28;
    int OP_ACCESS = 29;
    int OP_CREATE = 30;
    int OP_FORGET_MULTI = 38;
    int OP_FALLOCATE = 40;
    int OP_READDIRPLUS = 41;
    int OPS_SLOTS = 44;

    /** {@code fuse_conn_info.capable} offset and the capability bit used. */
    int CONN_CAPABLE_OFFSET = 20;
    int CAP_NO_OPEN_SUPPORT = 1 << 17;
    int CAP_NO_OPENDIR_SUPPORT = 1 << 24;

    Pointer fuse_session_new(Pointer args, Pointer ops, @size_t long opSize, Pointer userdata);

    int fuse_session_mount(Pointer session, @In byte[] mountpoint);

    int fuse_session_fd(Pointer session);

    /** Reads one request into {@code buf} (a {@code struct fuse_buf}; libfuse allocates its memory on first use). */
    int fuse_session_receive_buf(Pointer session, Pointer buf);

    void fuse_session_process_buf(Pointer session, Pointer buf);

    int fuse_session_exited(Pointer session);

    void fuse_session_exit(Pointer session);

    void fuse_session_unmount(Pointer session);

    void fuse_session_destroy(Pointer session);

    /** The C library's {@code free}, found through libfuse's own dependency on it: for memory libfuse allocated. */
    void free(Pointer memory);

    Pointer fuse_parse_conn_info_opts(Pointer args);

    void fuse_apply_conn_info_opts(Pointer opts, Pointer conn);

    void fuse_opt_free_args(Pointer args);

    int fuse_reply_err(Pointer req, int err);

    void fuse_reply_none(Pointer req);

    int fuse_reply_entry(Pointer req, Pointer entry);

    int fuse_reply_attr(Pointer req, Pointer stat, double timeout);

    int fuse_reply_open(Pointer req, Pointer fileInfo);

    int fuse_reply_buf(Pointer req, Pointer buf, @size_t long size);

    int fuse_reply_statfs(Pointer req, Pointer statvfs);

    int fuse_reply_xattr(Pointer req, @size_t long count);

    @size_t long fuse_add_direntry(Pointer req, Pointer buf, @size_t long bufsize, Pointer name, Pointer stat,
                                   @off_t long off);

    @size_t long fuse_add_direntry_plus(Pointer req, Pointer buf, @size_t long bufsize, Pointer name, Pointer entry,
                                        @off_t long off);

    /** {@code init(void *userdata, struct fuse_conn_info *conn)}. */
    interface Init {
        @Delegate
        void call(Pointer userdata, Pointer conn);
    }

    /** Operations on a name in a directory or of an inode: lookup, unlink, rmdir, removexattr. */
    interface NameOp {
        @Delegate
        void call(Pointer req, long parent, Pointer name);
    }

    /** {@code forget(req, ino, nlookup)}. */
    interface Forget {
        @Delegate
        void call(Pointer req, long ino, long nlookup);
    }

    /** {@code forget_multi(req, count, struct fuse_forget_data *forgets)}. */
    interface ForgetMulti {
        @Delegate
        void call(Pointer req, @size_t long count, Pointer forgets);
    }

    /** Operations on an inode with a file info: getattr, open, release, opendir, releasedir. */
    interface InodeOp {
        @Delegate
        void call(Pointer req, long ino, Pointer fileInfo);
    }

    /** read, readdir and readdirplus: {@code (req, ino, size, off, fi)}. */
    interface Ranged {
        @Delegate
        void call(Pointer req, long ino, @size_t long size, @off_t long off, Pointer fileInfo);
    }

    /** {@code statfs(req, ino)}. */
    interface Statfs {
        @Delegate
        void call(Pointer req, long ino);
    }

    /** {@code getxattr(req, ino, name, size)}. */
    interface GetXattr {
        @Delegate
        void call(Pointer req, long ino, Pointer name, @size_t long size);
    }

    /** {@code listxattr(req, ino, size)}. */
    interface ListXattr {
        @Delegate
        void call(Pointer req, long ino, @size_t long size);
    }

    /** {@code access(req, ino, mask)}. */
    interface Access {
        @Delegate
        void call(Pointer req, long ino, int mask);
    }

    /** {@code setattr(req, ino, attr, to_set, fi)}. */
    interface SetAttr {
        @Delegate
        void call(Pointer req, long ino, Pointer attr, int toSet, Pointer fileInfo);
    }

    /** {@code mknod(req, parent, name, mode, rdev)}. */
    interface Mknod {
        @Delegate
        void call(Pointer req, long parent, Pointer name, int mode, long rdev);
    }

    /** {@code mkdir(req, parent, name, mode)}. */
    interface Mkdir {
        @Delegate
        void call(Pointer req, long parent, Pointer name, int mode);
    }

    /** {@code symlink(req, link, parent, name)}. */
    interface Symlink {
        @Delegate
        void call(Pointer req, Pointer link, long parent, Pointer name);
    }

    /** {@code rename(req, parent, name, newparent, newname, flags)}. */
    interface Rename {
        @Delegate
        void call(Pointer req, long parent, Pointer name, long newParent, Pointer newName, int flags);
    }

    /** {@code link(req, ino, newparent, newname)}. */
    interface Link {
        @Delegate
        void call(Pointer req, long ino, long newParent, Pointer newName);
    }

    /** {@code write(req, ino, buf, size, off, fi)}. */
    interface Write {
        @Delegate
        void call(Pointer req, long ino, Pointer buf, @size_t long size, @off_t long off, Pointer fileInfo);
    }

    /** {@code fsync(req, ino, datasync, fi)}. */
    interface Fsync {
        @Delegate
        void call(Pointer req, long ino, int datasync, Pointer fileInfo);
    }

    /** {@code setxattr(req, ino, name, value, size, flags)}. */
    interface SetXattr {
        @Delegate
        void call(Pointer req, long ino, Pointer name, Pointer value, @size_t long size, int flags);
    }

    /** {@code create(req, parent, name, mode, fi)}. */
    interface Create {
        @Delegate
        void call(Pointer req, long parent, Pointer name, int mode, Pointer fileInfo);
    }

    /** {@code fallocate(req, ino, mode, offset, length, fi)}. */
    interface Fallocate {
        @Delegate
        void call(Pointer req, long ino, int mode, @off_t long offset, @off_t long length, Pointer fileInfo);
    }
}
