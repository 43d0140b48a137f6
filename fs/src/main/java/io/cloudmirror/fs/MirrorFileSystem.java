package io.cloudmirror.fs;

import io.cloudmirror.index.Generation;
import io.cloudmirror.index.Node;
import io.cloudmirror.origin.OriginException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The filesystem every mount serves, without FUSE: path lookups, attributes, directory listings,
 * reads of open files and extended attributes over the published generation of each subvolume, and a
 * refusal of every modification. Paths are absolute FUSE paths ({@code /sub/dir/file}).
 *
 * <p>Open files and directories pin the generation they were opened on, so a listing or a read in
 * progress is never cut by a sync; {@link #getattr} and {@link #getxattr} always see the newest one.
 *
 * <p>The kernel caches a file's pages per inode, not per version. So that an open file never reads
 * another version's bytes from that cache, {@link #open} decides for each open whether the kernel may keep
 * the pages it has ({@link Opened#keepCache()}: they are of this very version) and whether it must bypass
 * the page cache ({@link Opened#directIo()}: the file has been opened on another version during this mount,
 * so the kernel's pages, or the size it bounds page-cache reads by, may be that version's). Where the kernel
 * sends no OPEN, it has one inode per version instead ({@link #find}, {@link #openVersion}), and none of
 * this is needed.
 *
 * <p>Thread-safe: FUSE calls arrive concurrently from libfuse's worker threads.
 */
public final class MirrorFileSystem implements AutoCloseable {


    /** The xattr namespace of index tags, as the product documents name it. */
    public static final String TAG_PREFIX = "azindex.";
    /** The same tags in the user namespace, which {@code getfattr -d} and copies to ext4 keep. */
    public static final String USER_TAG_PREFIX = "user." + TAG_PREFIX;
    /** Open flags that ask for writing: O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND. */
    public static final int WRITE_FLAGS = 0x1 | 0x2 | 0x40 | 0x200 | 0x400;
    private static final long MOUNT_ROOT_INODE = 1;
    private static final int MAX_VERSIONS_REMEMBERED = 200_000;

    private final MountLayout layout;
    private final Ownership owner;
    private final Instant mountedAt;
    private final HandleTable<OpenFile> files = new HandleTable<>();
    private final HandleTable<OpenDir> dirs = new HandleTable<>();
    /** Per inode: the version whose pages the kernel may hold. Guarded by {@link #versions}. */
    private final Map<Long, String> cachedVersion = new HashMap<>();
    /** Per inode: the versions open now, with their counts. Guarded by {@link #versions}. */
    private final Map<Long, Map<String, Integer>> versions = new HashMap<>();
    /**
     * Inodes opened on more than one version during this mount. Guarded by {@link #versions}. The size the
     * kernel holds for such an inode may be another version's for as long as its attribute cache lasts
     * (answers to concurrent lookups can arrive out of order), and page-cache reads are bounded by it: a
     * shorter bound cuts the file, a longer one fills it with zeros. Their opens bypass the page cache.
     */
    private final java.util.Set<Long> changed = new java.util.HashSet<>();
    private volatile ReadObserver readObserver = ReadObserver.NONE;

    public MirrorFileSystem(List<Subvolume> subvolumes, Ownership owner, Instant mountedAt) {
        this.layout = new MountLayout(subvolumes);
        this.owner = owner;
        this.mountedAt = mountedAt;
    }

    /** The subvolumes served. */
    public List<Subvolume> subvolumes() {
        return layout.subvolumes();
    }

    /** stat of a path. */
    public Attributes getattr(String path) throws FsException {
        return find(path).attributes();
    }

    /** stat of a path and, for a file, the version it has now. */
    public Found find(String path) throws FsException {
        MountLayout.Target t = layout.resolve(path);
        if (t instanceof MountLayout.Synthetic s) {
            return new Found(syntheticAttributes(s), null);
        }
        if (t instanceof MountLayout.Inside in) {
            Generation g = in.subvolume().index().acquire();
            try {
                Node n = lookup(g, in, path);
                return new Found(attributes(n), n.isDirectory() ? null : new Version(n));
            } finally {
                g.release();
            }
        }
        throw new FsException.NoEntry(path);
    }

    /** stat of one version of a file: what a process holding that version sees, whatever was published since. */
    public Attributes attributes(Version v) {
        return attributes(v.node);
    }

    /**
     * Opens version {@code v} of the file at {@code path} for reading, for a kernel node that stands for that
     * version alone (the kernel then sends no OPEN, see the FUSE adapter): the version stays pinned in the
     * block cache until {@link #release}, and where the cloud no longer has it, uncached reads fail with
     * ESTALE. There is no page cache decision to make: the kernel's pages of that node are of this version.
     */
    public long openVersion(String path, Version v) throws FsException {
        if (!(layout.resolve(path) instanceof MountLayout.Inside in)) {
            throw new FsException.NoEntry(path);
        }
        ContentSource.Reader reader = in.subvolume().content().open(in.rel(), v.node.etag(), v.node.size(),
                v.node.contentMd5());
        return files.add(new OpenFile(in.subvolume(), in.rel(), v.node, null, reader, false));
    }

    /** Checks access: any write is refused, anything else is allowed if the path exists. */
    public void access(String path, int mask) throws FsException {
        if ((mask & 2) != 0) {
            throw new FsException.ReadOnly("write access to " + path);
        }
        getattr(path);
    }

    /**
     * Opens a file for reading.
     *
     * @param flags the open(2) flags; any that ask for writing are refused
     */
    public Opened open(String path, int flags) throws FsException {
        if ((flags & WRITE_FLAGS) != 0) {
            throw new FsException.ReadOnly("open for writing: " + path);
        }
        MountLayout.Target t = layout.resolve(path);
        if (t instanceof MountLayout.Synthetic) {
            throw new FsException.IsDirectory(path);
        }
        if (!(t instanceof MountLayout.Inside in)) {
            throw new FsException.NoEntry(path);
        }
        Generation g = in.subvolume().index().acquire();
        try {
            Node n = lookup(g, in, path);
            if (n.isDirectory()) {
                throw new FsException.IsDirectory(path);
            }
            ContentSource.Reader reader = in.subvolume().content().open(in.rel(), n.etag(), n.size(), n.contentMd5());
            Opened opened = opened(n);
            long fh = files.add(new OpenFile(in.subvolume(), in.rel(), n, g, reader, !opened.directIo()));
            g = null; // the handle owns the reference now
            return new Opened(fh, opened.keepCache(), opened.directIo());
        } finally {
            if (g != null) {
                g.release();
            }
        }
    }

    /**
     * Records an open of {@code n} and decides how the kernel caches it: bypass the page cache for an inode
     * opened on more than one version during this mount; otherwise keep the cached pages only if they are of
     * this version.
     */
    private Opened opened(Node n) {
        synchronized (versions) {
            Map<String, Integer> open = versions.computeIfAbsent(n.inode(), k -> new HashMap<>(2));
            boolean otherOpen = false;
            for (String v : open.keySet()) {
                otherOpen |= !v.equals(n.etag());
            }
            open.merge(n.etag(), 1, Integer::sum);
            String before = cachedVersion.get(n.inode());
            if (otherOpen || (before != null && !before.equals(n.etag()))) {
                if (changed.size() < MAX_VERSIONS_REMEMBERED) {
                    changed.add(n.inode());
                }
            }
            if (otherOpen || changed.contains(n.inode())) {
                return new Opened(0, false, true);
            }
            if (cachedVersion.size() > MAX_VERSIONS_REMEMBERED) {
                cachedVersion.clear();
            }
            cachedVersion.put(n.inode(), n.etag());
            return new Opened(0, n.etag().equals(before), false);
        }
    }

    private void closed(Node n) {
        synchronized (versions) {
            Map<String, Integer> open = versions.get(n.inode());
            if (open != null && open.merge(n.etag(), -1, Integer::sum) <= 0) {
                open.remove(n.etag());
                if (open.isEmpty()) {
                    versions.remove(n.inode());
                }
            }
        }
    }

    /** Tells {@code observer} about every file read from now on (for metrics). */
    public void observeReads(ReadObserver observer) {
        readObserver = observer == null ? ReadObserver.NONE : observer;
    }

    /**
     * Reads from an open file into {@code dst}, as much as fits or until the end of the file.
     *
     * @return bytes read; 0 at or past the end
     */
    public int read(long fh, long offset, ByteBuffer dst) throws FsException {
        OpenFile f = files.get(fh);
        long started = System.nanoTime();
        int got = 0;
        try {
            got = readFile(f, offset, dst);
            return got;
        } finally {
            readObserver.read(f.subvolume.name(), got, System.nanoTime() - started);
        }
    }

    private int readFile(OpenFile f, long offset, ByteBuffer dst) throws FsException {
        long size = f.node.size();
        if (f.pageCache && offset + dst.remaining() > size && sizeChanged(f)) {
            // The kernel bounds page cache reads by the size it last heard, which is the newest version's once a
            // sync changed it; reads of this older version past its own end would come back short, and the
            // kernel would fill the rest with zeros (and keep those pages). Fail the end instead.
            throw new FsException.Stale(f.subvolume.name() + "/" + f.rel + ": changed size since it was opened ("
                    + size + " bytes then); its end is not served through the page cache", null);
        }
        if (offset >= size || !dst.hasRemaining()) {
            return 0;
        }
        int want = (int) Math.min(dst.remaining(), size - offset);
        ByteBuffer window = dst.slice().limit(want);
        try {
            while (window.hasRemaining()) {
                int n = f.reader.read(offset + window.position(), window);
                if (n <= 0) {
                    break;
                }
            }
        } catch (OriginException.VersionGone e) {
            throw new FsException.Stale(f.subvolume.name() + "/" + f.rel + ": " + e.getMessage(), e);
        } catch (OriginException e) {
            throw new FsException.Io(f.subvolume.name() + "/" + f.rel + ": " + e.getMessage(), e);
        }
        int got = window.position();
        if (got < want) {
            // The blob ended before the size the index promised: never pad with zeros.
            throw new FsException.Stale(f.subvolume.name() + "/" + f.rel + ": blob shorter than its listed size", null);
        }
        dst.position(dst.position() + got);
        return got;
    }

    /** Whether the newest generation has the path of {@code f} with another size than the version it opened. */
    private static boolean sizeChanged(OpenFile f) {
        Generation g = f.subvolume.index().acquire();
        try {
            Node now = g.lookup(f.rel);
            return now != null && !now.isDirectory() && now.size() != f.node.size();
        } finally {
            g.release();
        }
    }

    /** stat of an open file: the version it was opened on, whatever a sync published since. */
    public Attributes fgetattr(long fh) throws FsException {
        return attributes(files.get(fh).node);
    }

    /** Closes an open file. */
    public void release(long fh) {
        OpenFile f = files.remove(fh);
        if (f != null) {
            f.reader.close();
            if (f.generation != null) {
                closed(f.node);
                f.generation.release();
            }
        }
    }

    /** Opens a directory for listing; its entries stay those of the generation current now. */
    public long opendir(String path) throws FsException {
        MountLayout.Target t = layout.resolve(path);
        if (t instanceof MountLayout.Synthetic s) {
            return dirs.add(new OpenDir(null, null, s, syntheticInode(s.path()), parentInode(path)));
        }
        if (!(t instanceof MountLayout.Inside in)) {
            throw new FsException.NoEntry(path);
        }
        Generation g = in.subvolume().index().acquire();
        try {
            Node n = lookup(g, in, path);
            if (!n.isDirectory()) {
                throw new FsException.NotDirectory(path);
            }
            long fh = dirs.add(new OpenDir(g, n, null, n.inode(), parentInode(path)));
            g = null;
            return fh;
        } finally {
            if (g != null) {
                g.release();
            }
        }
    }

    /**
     * Lists an open directory from {@code offset} on: offsets 0 and 1 are {@code .} and {@code ..}, then one
     * per entry. Stops when {@code filler} is full. Each call costs one index lookup per entry returned.
     */
    public void readdir(long fh, long offset, DirFiller filler) throws FsException {
        OpenDir d = dirs.get(fh);
        if (offset == 0 && !filler.add(".", d.inode, true, 1)) {
            return;
        }
        if (offset <= 1 && !filler.add("..", d.parentInode, true, 2)) {
            return;
        }
        int from = (int) Math.max(0, offset - 2);
        if (d.synthetic != null) {
            List<String> names = d.synthetic.children();
            for (int i = from; i < names.size(); i++) {
                String child = d.synthetic.path().isEmpty() ? names.get(i) : d.synthetic.path() + "/" + names.get(i);
                if (!filler.add(names.get(i), inodeOfSyntheticChild(child), true, i + 3L)) {
                    return;
                }
            }
            return;
        }
        d.generation.forEachChild(d.node, from, (slot, c) -> filler.add(c.name(), c.inode(), c.kind()
                == io.cloudmirror.index.NodeKind.DIRECTORY, slot + 3L));
    }

    /** Closes an open directory. */
    public void releasedir(long fh) {
        OpenDir d = dirs.remove(fh);
        if (d != null && d.generation != null) {
            d.generation.release();
        }
    }

    /** The value of extended attribute {@code name}. */
    public byte[] getxattr(String path, String name) throws FsException {
        if (!name.startsWith("user.") && !name.startsWith(TAG_PREFIX)) {
            // security.selinux, system.posix_acl_*: none exist here. EOPNOTSUPP (not ENODATA) lets tools such
            // as ls -l stop asking for every file of the mount.
            throw new FsException.NotSupported(name + " of " + path);
        }
        String tag = name.startsWith(USER_TAG_PREFIX) ? name.substring(USER_TAG_PREFIX.length())
                : name.startsWith(TAG_PREFIX) ? name.substring(TAG_PREFIX.length()) : null;
        String value = tag == null ? null : tags(path).get(tag);
        if (value == null) {
            throw new FsException.NoAttribute(name + " of " + path);
        }
        return value.getBytes(StandardCharsets.UTF_8);
    }

    /** The names of all extended attributes of a path. */
    public List<String> listxattr(String path) throws FsException {
        Map<String, String> tags = tags(path);
        List<String> names = new ArrayList<>(tags.size() * 2);
        for (String k : tags.keySet()) {
            names.add(TAG_PREFIX + k);
        }
        for (String k : tags.keySet()) {
            names.add(USER_TAG_PREFIX + k);
        }
        return names;
    }

    private Map<String, String> tags(String path) throws FsException {
        MountLayout.Target t = layout.resolve(path);
        if (t instanceof MountLayout.Synthetic) {
            return Map.of();
        }
        if (!(t instanceof MountLayout.Inside in)) {
            throw new FsException.NoEntry(path);
        }
        Generation g = in.subvolume().index().acquire();
        try {
            Node n = lookup(g, in, path);
            return in.subvolume().tags() ? n.tags() : Map.of();
        } finally {
            g.release();
        }
    }

    /** Refuses a modification of any kind. */
    public void modify(String operation, String path) throws FsException {
        throw new FsException.ReadOnly(operation + " " + path);
    }

    /** Totals for statfs: the size of all files and the number of paths, nothing free. */
    public FsTotals totals() {
        long bytes = 0;
        long nodes = 1;
        for (Subvolume s : layout.subvolumes()) {
            var st = s.index().currentStats();
            bytes += st.bytes();
            nodes += st.files() + st.directories();
        }
        return new FsTotals(bytes, nodes);
    }

    /** Open files and directories right now. */
    public int openHandles() {
        return files.size() + dirs.size();
    }

    @Override
    public void close() {
        for (OpenFile f : files.values()) {
            f.reader.close();
            if (f.generation != null) {
                f.generation.release();
            }
        }
        for (OpenDir d : dirs.values()) {
            if (d.generation != null) {
                d.generation.release();
            }
        }
    }

    private Node lookup(Generation g, MountLayout.Inside in, String path) throws FsException {
        Node n = g.lookup(in.rel());
        if (n == null) {
            throw new FsException.NoEntry(path);
        }
        return n;
    }

    private Attributes attributes(Node n) {
        if (n.isDirectory()) {
            return new Attributes(n.inode(), true, owner.directoryMode(), n.nlink(), owner.uid(), owner.gid(), 0,
                    n.mtime());
        }
        return new Attributes(n.inode(), false, owner.fileMode(), 1, owner.uid(), owner.gid(), n.size(), n.mtime());
    }

    private Attributes syntheticAttributes(MountLayout.Synthetic s) {
        return new Attributes(syntheticInode(s.path()), true, owner.directoryMode(), 2 + s.children().size(),
                owner.uid(), owner.gid(), 0, mountedAt);
    }

    private long inodeOfSyntheticChild(String path) {
        MountLayout.Target t = layout.resolve(path);
        if (t instanceof MountLayout.Inside in) {
            Generation g = in.subvolume().index().acquire();
            try {
                Node root = g.lookup("");
                return root == null ? syntheticInode(path) : root.inode();
            } finally {
                g.release();
            }
        }
        return syntheticInode(path);
    }

    private long parentInode(String path) {
        String p = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        int slash = p.lastIndexOf('/');
        if (slash <= 0) {
            return MOUNT_ROOT_INODE;
        }
        try {
            return getattr(p.substring(0, slash)).inode();
        } catch (FsException e) {
            return MOUNT_ROOT_INODE;
        }
    }

    private static long syntheticInode(String path) {
        if (path.isEmpty()) {
            return MOUNT_ROOT_INODE;
        }
        long h = 1125899906842597L;
        for (int i = 0; i < path.length(); i++) {
            h = 31 * h + path.charAt(i);
        }
        return (h & 0x3FFF_FFFF_FFFF_FFFFL) | 0x4000_0000_0000_0000L;
    }

    /**
     * An open file: the version it was opened on, the generation it pins ({@code null} when opened by
     * {@link #openVersion}: then the kernel's caches of it need no bookkeeping), and its reads.
     */
    private record OpenFile(Subvolume subvolume, String rel, Node node, Generation generation,
                            ContentSource.Reader reader, boolean pageCache) {
    }

    /** An open directory: the generation and node it lists, or a synthetic directory. */
    private record OpenDir(Generation generation, Node node, MountLayout.Synthetic synthetic, long inode,
                           long parentInode) {
    }

    /**
     * The result of {@link #open}.
     *
     * @param fh        the handle
     * @param keepCache whether the kernel may keep cached pages: they can only be of this version
     * @param directIo  whether reads must bypass the page cache: another version of the file is open, and
     *                  the cache may hold its pages
     */
    public record Opened(long fh, boolean keepCache, boolean directIo) {
    }

    /**
     * One version of a file, as a lookup found it: what a kernel node stands for when the kernel sends no
     * OPEN. Immutable.
     */
    public static final class Version {
        private final Node node;

        Version(Node node) {
            this.node = node;
        }

        /** Whether {@code other} is this same version of this same file (same inode, same ETag). */
        public boolean same(Version other) {
            return other != null && other.node.inode() == node.inode() && other.node.etag().equals(node.etag());
        }
    }

    /**
     * The result of {@link #find}.
     *
     * @param attributes what stat shows
     * @param version    for a file, the version it has now; {@code null} for a directory
     */
    public record Found(Attributes attributes, Version version) {
    }

    /**
     * What statfs reports.
     *
     * @param bytes total size of all files
     * @param nodes total number of paths
     */
    public record FsTotals(long bytes, long nodes) {
    }

}
