package io.cloudmirror.origin.vfs;

import io.cloudmirror.origin.BlobOrigin;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * The contract against {@link VfsOrigin} over an archive. The archive is the container: every put or
 * delete rewrites it whole (to a temporary file renamed over it), as a publisher replacing a data set
 * would; the origin must see each rewrite as a change.
 */
abstract class ArchiveContract extends FileTreeContract {

    /** One member: its bytes and modification time; a directory when {@code content} is null. */
    protected record Member(byte[] content, Instant mtime) {
    }

    private final TreeMap<String, Member> members = new TreeMap<>();
    private Path dir;
    private Path archive;
    private long lastWritten;

    /** The archive's file name extension and URI scheme. */
    protected abstract String scheme();

    /** Writes {@code members} (names in order; directories end in '/') as an archive to {@code out}. */
    protected abstract void write(Map<String, Member> members, OutputStream out) throws IOException;

    @Override
    protected void createContainer() throws Exception {
        members.clear();
        dir = Files.createTempDirectory("vfs-" + scheme());
        archive = dir.resolve("data." + scheme());
        rewrite();
    }

    @Override
    protected BlobOrigin newOrigin(boolean includeTags) throws Exception {
        return VfsOrigin.create(VfsSettings.of(scheme() + ":" + archive.toUri() + "!/"));
    }

    @Override
    protected Stored put(String name, byte[] content, Map<String, String> metadata, Map<String, String> tags)
            throws Exception {
        Stored s = add(name, content);
        rewrite();
        return s;
    }

    @Override
    protected void putAll(Map<String, byte[]> blobs) throws Exception {
        for (Map.Entry<String, byte[]> e : blobs.entrySet()) {
            add(e.getKey(), e.getValue());
        }
        rewrite();
    }

    private Stored add(String name, byte[] content) {
        if (name.endsWith("/")) {
            members.put(name, new Member(null, nextMtime()));
            return new Stored("", Instant.EPOCH);
        }
        Instant mtime = nextMtime();
        members.put(name, new Member(content.clone(), mtime));
        return new Stored(VfsOrigin.etagOf(content.length, mtime.toEpochMilli()), mtime);
    }

    @Override
    protected void delete(String name) throws Exception {
        members.remove(name);
        rewrite();
    }

    @Override
    protected void dropContainer() throws Exception {
        deleteTree(dir);
    }

    /** Writes the archive anew and renames it into place, with a modification time later than the last. */
    private void rewrite() throws IOException {
        Path tmp = dir.resolve("data.tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            write(members, out);
        }
        long now = Math.max(System.currentTimeMillis(), lastWritten + 1);
        lastWritten = now;
        Files.setLastModifiedTime(tmp, FileTime.fromMillis(now));
        Files.move(tmp, archive, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
