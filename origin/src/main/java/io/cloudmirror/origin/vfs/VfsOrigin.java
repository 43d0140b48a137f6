package io.cloudmirror.origin.vfs;

import io.cloudmirror.origin.BlobItem;
import io.cloudmirror.origin.BlobOrigin;
import io.cloudmirror.origin.OriginException;
import io.cloudmirror.origin.Probe;
import io.cloudmirror.origin.Redactor;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.apache.commons.vfs2.CacheStrategy;
import org.apache.commons.vfs2.Capability;
import org.apache.commons.vfs2.FileContent;
import org.apache.commons.vfs2.FileObject;
import org.apache.commons.vfs2.FileSystemException;
import org.apache.commons.vfs2.FileSystemOptions;
import org.apache.commons.vfs2.FileType;
import org.apache.commons.vfs2.RandomAccessContent;
import org.apache.commons.vfs2.auth.StaticUserAuthenticator;
import org.apache.commons.vfs2.cache.NullFilesCache;
import org.apache.commons.vfs2.impl.DefaultFileSystemConfigBuilder;
import org.apache.commons.vfs2.impl.StandardFileSystemManager;
import org.apache.commons.vfs2.provider.URLFileName;
import org.apache.commons.vfs2.provider.UriParser;
import org.apache.commons.vfs2.provider.http5.Http5FileSystemConfigBuilder;
import org.apache.commons.vfs2.provider.sftp.SftpFileSystemConfigBuilder;
import org.apache.commons.vfs2.util.RandomAccessMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link BlobOrigin} over any source commons-vfs reads: a local directory ({@code file://}), an SFTP server,
 * one file over HTTP(S), or an archive ({@code zip:}, {@code tar:}, {@code tgz:}) lying on any of those.
 *
 * <p>The tree under the source URI is listed as blobs named by their path relative to it ({@code a/b.txt});
 * folders are walked, not listed, and symbolic links are skipped (so nothing outside the root is reached and
 * a link cycle cannot loop). A source that is a single file lists as one blob named after the file. Such
 * sources have no ETag, Content-MD5, metadata or index tags: the ETag is made of what they do offer, the
 * size and the last-modified time ({@link #etagOf}), so a change that keeps both is not seen; the rest is
 * empty.
 *
 * <p>Reads are pinned like Azure's: the file is looked up again, and a read whose file is gone or now has
 * another size or modification time fails with {@link OriginException.VersionGone}. The check is made
 * before and after the bytes are read, so a change during the read is caught too (short of one that keeps
 * size and time). Ranged reads use the source's random access where it has one (local files, SFTP, HTTP
 * range requests); archive members are streamed from their start, so a read deep inside a large member costs
 * the bytes before it.
 *
 * <p>An archive is opened once and reopened when the archive file itself changes (size or modification
 * time), checked at every listing and read. A remote archive ({@code zip:sftp://...!/}) is downloaded whole
 * each time it is opened.
 *
 * <p>Thread-safe: every call resolves its own file objects (the manager caches none); archive reopening
 * waits for reads in flight.
 */
public final class VfsOrigin implements BlobOrigin {

    private static final Logger LOG = LoggerFactory.getLogger(VfsOrigin.class);
    /** Characters that would otherwise change the meaning of a path in a commons-vfs URI. */
    private static final char[] RESERVED = {'#', '?', '!', ';'};
    private static final int COPY_CHUNK = 64 * 1024;

    private final VfsSettings settings;
    private final String displayName;
    private final StandardFileSystemManager manager;
    private final FileSystemOptions options;
    /** Archives: reads and listings hold the read lock, reopening the archive the write lock. */
    private final ReentrantReadWriteLock archiveLock = new ReentrantReadWriteLock();
    /** Archives: the outer file's size and time when the archive was opened; guarded by archiveLock. */
    private String archiveStamp;
    /**
     * Archives: their providers are not safe for concurrent reads (tar shares one stream; zip closes the
     * archive when a member is let go while another thread opens one), so reads take turns; null otherwise.
     */
    private final Lock serialReads;

    private VfsOrigin(VfsSettings settings, StandardFileSystemManager manager, FileSystemOptions options) {
        this.settings = settings;
        this.displayName = settings.displayName();
        this.manager = manager;
        this.options = options;
        this.serialReads = settings.isArchive() ? new ReentrantLock() : null;
    }

    /**
     * Opens an origin over {@code settings.uri()}. Nothing is contacted yet: the first listing, read or
     * probe connects.
     *
     * @throws OriginException.Failed if commons-vfs cannot be set up
     */
    public static VfsOrigin create(VfsSettings settings) throws OriginException {
        StandardFileSystemManager manager = new StandardFileSystemManager();
        try {
            manager.setFilesCache(new NullFilesCache());
            manager.setCacheStrategy(CacheStrategy.ON_RESOLVE);
            manager.setClassLoader(VfsOrigin.class.getClassLoader());
            manager.init();
            if (!manager.hasProvider(settings.scheme()) || !manager.hasProvider(settings.transport())) {
                manager.close();
                throw new OriginException.Failed("no commons-vfs provider for " + settings.scheme() + ": "
                        + settings.displayName(), null);
            }
            return new VfsOrigin(settings, manager, options(settings));
        } catch (FileSystemException e) {
            manager.close();
            throw new OriginException.Failed("cannot set up commons-vfs for " + settings.displayName() + ": "
                    + e.getMessage(), e);
        }
    }

    private static FileSystemOptions options(VfsSettings s) throws FileSystemException {
        FileSystemOptions o = new FileSystemOptions();
        SftpFileSystemConfigBuilder sftp = SftpFileSystemConfigBuilder.getInstance();
        sftp.setUserDirIsRoot(o, false);
        sftp.setConnectTimeout(o, s.timeout());
        sftp.setSessionTimeout(o, s.timeout());
        sftp.setFileNameEncoding(o, "UTF-8");
        sftp.setDisableDetectExecChannel(o, true); // no "id -u" exec: the server may serve sftp only
        if (s.knownHosts() != null) {
            sftp.setStrictHostKeyChecking(o, "yes");
            sftp.setKnownHosts(o, s.knownHosts().toFile());
        } else {
            sftp.setStrictHostKeyChecking(o, "no");
        }
        Http5FileSystemConfigBuilder http = Http5FileSystemConfigBuilder.getInstance();
        http.setConnectionTimeout(o, s.timeout());
        http.setSoTimeout(o, s.timeout());
        http.setFollowRedirect(o, true);
        http.setUrlCharset(o, "UTF-8");
        if (s.password() != null) {
            Redactor.register(s.password());
            http.setPreemptiveAuth(o, true);
            DefaultFileSystemConfigBuilder.getInstance().setUserAuthenticator(o,
                    new StaticUserAuthenticator(null, userOf(s.uri()), s.password()));
        }
        return o;
    }

    /** The user name in the innermost URI's authority, or {@code null}. */
    private static String userOf(String uri) {
        String inner = uri;
        while (VfsSettings.ARCHIVES.contains(inner.substring(0, Math.max(inner.indexOf(':'), 0)))) {
            inner = inner.substring(inner.indexOf(':') + 1);
        }
        int bang = inner.indexOf('!');
        try {
            URI u = new URI(bang < 0 ? inner : inner.substring(0, bang));
            return u.getUserInfo();
        } catch (java.net.URISyntaxException e) {
            return null;
        }
    }

    /**
     * The ETag of a source file: its size and last-modification time in milliseconds, quoted like an HTTP
     * ETag ({@code "1024-1700000000000"}).
     */
    static String etagOf(long size, long lastModifiedMillis) {
        return "\"" + size + "-" + lastModifiedMillis + "\"";
    }

    @Override
    public String displayName() {
        return displayName;
    }

    // ------------------------------------------------------------------------------------------ listing

    @Override
    public void list(String prefix, BlobSink sink) throws OriginException {
        String p = prefix == null ? "" : prefix;
        String what = "listing " + displayName;
        Lock lock = openArchive(what);
        try {
            FileObject root = root(what);
            if (!root.exists()) {
                return; // an empty archive
            }
            if (root.isFile()) {
                String name = root.getName().getBaseName();
                if (name.startsWith(p)) {
                    emit(sink, item(name, root));
                }
                return;
            }
            String rootPath = root.getName().getPathDecoded();
            Deque<FileObject> folders = new ArrayDeque<>();
            folders.push(root);
            while (!folders.isEmpty()) {
                FileObject folder = folders.pop();
                for (FileObject child : folder.getChildren()) {
                    String name = relative(rootPath, child);
                    if (child.isSymbolicLink()) {
                        LOG.debug("{}: skipping symbolic link {}", displayName, name);
                        continue;
                    }
                    FileType type = child.getType();
                    if (type == FileType.FOLDER || type == FileType.FILE_OR_FOLDER && child.isFolder()) {
                        String dir = name + "/";
                        if (dir.startsWith(p) || p.startsWith(dir)) {
                            folders.push(child);
                        }
                    } else if (type.hasContent() && name.startsWith(p)) {
                        emit(sink, item(name, child));
                    }
                }
            }
        } catch (SinkFailure e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException rt) {
                throw rt;
            }
            if (cause instanceof OriginException oe) {
                throw oe;
            }
            throw new OriginException.Failed(what + " stopped: " + cause.getMessage(), cause);
        } catch (FileSystemException | RuntimeException e) {
            throw VfsErrors.map(what, e, false);
        } finally {
            lock.unlock();
        }
    }

    private static void emit(BlobSink sink, BlobItem item) {
        try {
            sink.accept(item);
        } catch (IOException | RuntimeException e) {
            throw new SinkFailure(e);
        }
    }

    private static BlobItem item(String name, FileObject file) throws FileSystemException {
        FileContent c = file.getContent();
        long size = c.getSize();
        long mtime = c.getLastModifiedTime();
        return new BlobItem(name, size, Instant.ofEpochMilli(mtime), etagOf(size, mtime), null, Map.of(), Map.of());
    }

    private static String relative(String rootPath, FileObject child) throws FileSystemException {
        String path = child.getName().getPathDecoded();
        if (child.getName() instanceof URLFileName url && url.getQueryString() != null) {
            // URL-style names (sftp) take a '?' in a file name for the start of a query: put it back
            path += "?" + UriParser.decode(url.getQueryString());
        }
        int skip = rootPath.endsWith("/") ? rootPath.length() : rootPath.length() + 1;
        return path.substring(skip);
    }

    // ------------------------------------------------------------------------------------------ reads

    @Override
    public int read(String name, String etag, long offset, ByteBuffer dst) throws OriginException {
        return (int) read(name, etag, offset, new ByteBuffer[] {dst});
    }

    @Override
    public long read(String name, String etag, long offset, ByteBuffer[] dsts) throws OriginException {
        String what = "reading " + name + " from " + displayName;
        Lock lock = openArchive(what);
        if (serialReads != null) {
            serialReads.lock();
        }
        try {
            FileObject file = file(name);
            long size = check(file, name, etag);
            if (offset >= size) {
                return 0;
            }
            long wanted = 0;
            for (ByteBuffer d : dsts) {
                wanted += d.remaining();
            }
            long length = Math.min(wanted, size - offset);
            long n;
            FileContent content = file.getContent();
            try {
                if (file.getFileSystem().hasCapability(Capability.RANDOM_ACCESS_READ)) {
                    try (RandomAccessContent rac = content.getRandomAccessContent(RandomAccessMode.READ)) {
                        rac.seek(offset);
                        n = copy(rac.getInputStream(), dsts, length);
                    }
                } else {
                    try (InputStream in = content.getInputStream()) {
                        in.skipNBytes(offset);
                        n = copy(in, dsts, length);
                    }
                }
            } finally {
                content.close();
            }
            // the file may have changed while it was read: then these bytes may mix two versions
            check(file(name), name, etag);
            if (n < length) {
                throw new OriginException.VersionGone(what + ": the file ended after " + (offset + n) + " of "
                        + size + " bytes (changed while read)", null);
            }
            return n;
        } catch (IOException | RuntimeException e) {
            throw VfsErrors.map(what, e, true);
        } finally {
            if (serialReads != null) {
                serialReads.unlock();
            }
            lock.unlock();
        }
    }

    /** Fills {@code dsts} in turn with up to {@code length} bytes of {@code in}; returns the bytes copied. */
    private static long copy(InputStream in, ByteBuffer[] dsts, long length) throws IOException {
        byte[] chunk = new byte[(int) Math.min(COPY_CHUNK, Math.max(length, 1))];
        long total = 0;
        for (ByteBuffer dst : dsts) {
            while (dst.hasRemaining() && total < length) {
                int want = (int) Math.min(Math.min(dst.remaining(), chunk.length), length - total);
                int got = in.read(chunk, 0, want);
                if (got < 0) {
                    return total;
                }
                dst.put(chunk, 0, got);
                total += got;
            }
            if (total >= length) {
                break;
            }
        }
        return total;
    }

    /** The size of {@code file} if it is still the version {@code etag}; else {@link OriginException.VersionGone}. */
    private long check(FileObject file, String name, String etag) throws IOException {
        if (!file.exists() || !file.getType().hasContent() || file.isSymbolicLink()) {
            throw new OriginException.VersionGone(name + " is gone from " + displayName, null);
        }
        FileContent c = file.getContent();
        long size = c.getSize();
        String now = etagOf(size, c.getLastModifiedTime());
        if (!now.equals(etag)) {
            throw new OriginException.VersionGone(name + " changed in " + displayName + " (version " + etag
                    + " is now " + now + ")", null);
        }
        return size;
    }

    /** The file object for blob {@code name}. */
    private FileObject file(String name) throws IOException {
        FileObject root = root("reading " + name + " from " + displayName);
        if (root.isFile()) {
            if (!name.equals(root.getName().getBaseName())) {
                throw new OriginException.VersionGone(name + " is not in " + displayName, null);
            }
            return root;
        }
        if (name.isEmpty() || name.startsWith("/") || name.endsWith("/")) {
            throw new OriginException.VersionGone("no file " + name + " in " + displayName, null);
        }
        for (String part : name.split("/", -1)) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                throw new OriginException.VersionGone("no file " + name + " in " + displayName, null);
            }
        }
        return root.resolveFile(UriParser.encode(name, RESERVED));
    }

    // ------------------------------------------------------------------------------------------ probe

    @Override
    public Probe probe() {
        String what = "probing " + displayName;
        try {
            Lock lock = openArchive(what);
            try {
                FileObject root = root(what);
                if (!root.exists()) {
                    return Probe.connected(); // an empty archive
                }
                if (root.isFolder()) {
                    root.getChildren();
                } else {
                    root.getContent().getSize();
                }
                return Probe.connected();
            } catch (IOException | RuntimeException e) {
                throw VfsErrors.map(what, e, false);
            } finally {
                lock.unlock();
            }
        } catch (OriginException e) {
            return Probe.of(e);
        }
    }

    // ------------------------------------------------------------------------------------------ the root

    /**
     * The source's root, which must exist (else {@link OriginException.ContainerMissing}); only the root of an
     * archive that exists may not, when the archive is empty.
     */
    private FileObject root(String what) throws FileSystemException, OriginException {
        FileObject root = manager.resolveFile(settings.uri(), options);
        if (!root.exists() && !(settings.isArchive() && root.getName().getPath().equals("/"))) {
            throw new OriginException.ContainerMissing(what + ": no such file or directory", null);
        }
        return root;
    }

    /**
     * Takes the read lock, after reopening the archive if the archive file changed since it was opened.
     * Returns the lock held (an unused one for sources that are not archives).
     */
    private Lock openArchive(String what) throws OriginException {
        Lock read = archiveLock.readLock();
        if (!settings.isArchive()) {
            read.lock();
            return read;
        }
        String now = archiveStamp(what);
        read.lock();
        if (now.equals(archiveStamp)) {
            return read;
        }
        read.unlock();
        archiveLock.writeLock().lock();
        try {
            if (!now.equals(archiveStamp)) {
                if (archiveStamp != null) {
                    try {
                        FileObject root = manager.resolveFile(settings.uri(), options);
                        manager.closeFileSystem(root.getFileSystem());
                        LOG.info("{}: the archive changed; reopening it", displayName);
                    } catch (FileSystemException e) {
                        LOG.debug("{}: closing the old archive: {}", displayName, e.toString());
                    }
                }
                archiveStamp = now;
            }
            read.lock(); // downgrade
            return read;
        } finally {
            archiveLock.writeLock().unlock();
        }
    }

    /** The archive file's size and time, read afresh. */
    private String archiveStamp(String what) throws OriginException {
        String inner = settings.uri().substring(settings.uri().indexOf(':') + 1);
        String outerUri = inner.substring(0, inner.lastIndexOf('!'));
        try {
            FileObject outer = manager.resolveFile(outerUri, options);
            if (!outer.exists() || !outer.getType().hasContent()) {
                throw new OriginException.ContainerMissing(what + ": no archive " + VfsSettings.of(outerUri)
                        .displayName(), null);
            }
            outer.refresh();
            FileContent c = outer.getContent();
            return etagOf(c.getSize(), c.getLastModifiedTime());
        } catch (FileSystemException | RuntimeException e) {
            throw VfsErrors.map(what, e, false);
        }
    }

    @Override
    public void close() {
        manager.close();
    }

    @Override
    public String toString() {
        return "VfsOrigin[" + displayName + "]";
    }

    /** Carries a listing sink's own failure past the mapping of source failures. */
    private static final class SinkFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        SinkFailure(Exception cause) {
            super(cause);
        }
    }
}
