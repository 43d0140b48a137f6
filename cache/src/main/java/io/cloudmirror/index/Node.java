package io.cloudmirror.index;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One path of a published generation, as the index holds it. Immutable.
 *
 * @param kind         file or directory
 * @param inode        the stable inode number of the path
 * @param size         bytes for files, 0 for directories
 * @param mtime        the blob's last modification, or for directories the latest of their children
 * @param etag         the version of the blob (files); empty for directories
 * @param contentMd5   the blob's whole-content MD5 when the origin has one, else {@code null}
 * @param tags         index tags (files, when mirrored); empty otherwise
 * @param dirId        directories: the key of their child list within the generation
 * @param childCount   directories: number of entries
 * @param subdirCount  directories: number of entries that are directories
 * @param slot         the position of this node in its parent's child list (-1 for the root)
 */
public record Node(NodeKind kind, long inode, long size, Instant mtime, String etag, byte[] contentMd5,
                   Map<String, String> tags, int dirId, int childCount, int subdirCount, int slot) {

    public Node {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(mtime, "mtime");
        etag = etag == null ? "" : etag;
        tags = tags == null ? Map.of() : Map.copyOf(tags);
    }

    /** A file node. */
    public static Node file(long inode, long size, Instant mtime, String etag, byte[] md5, Map<String, String> tags,
                            int slot) {
        return new Node(NodeKind.FILE, inode, size, mtime, etag, md5, tags, -1, 0, 0, slot);
    }

    /** An empty directory node. */
    public static Node directory(long inode, Instant mtime, int dirId, int slot) {
        return new Node(NodeKind.DIRECTORY, inode, 0, mtime, "", null, Map.of(), dirId, 0, 0, slot);
    }

    public boolean isDirectory() {
        return kind == NodeKind.DIRECTORY;
    }

    /** Hard links: 2 + subdirectories for a directory, 1 for a file. */
    public int nlink() {
        return isDirectory() ? 2 + subdirCount : 1;
    }

    /** This directory with one more child, of the given kind and modification time. */
    Node withChild(boolean childIsDirectory, Instant childMtime) {
        Instant newest = childMtime.isAfter(mtime) ? childMtime : mtime;
        return new Node(kind, inode, size, newest, etag, contentMd5, tags, dirId, childCount + 1,
                subdirCount + (childIsDirectory ? 1 : 0), slot);
    }

    /** This directory after one of its children turned from a file into a directory. */
    Node withChildBecameDirectory() {
        return new Node(kind, inode, size, mtime, etag, contentMd5, tags, dirId, childCount, subdirCount + 1, slot);
    }
}
