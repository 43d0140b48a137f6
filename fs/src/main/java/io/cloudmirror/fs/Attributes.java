package io.cloudmirror.fs;

import java.time.Instant;

/**
 * What stat shows of a path. Immutable.
 *
 * @param inode  stable inode number
 * @param isDirectory directory or regular file
 * @param mode   permission bits only (no file type bits)
 * @param nlink  hard link count
 * @param uid    owner
 * @param gid    group
 * @param size   bytes
 * @param mtime  modification time (also used for ctime and atime)
 */
public record Attributes(long inode, boolean isDirectory, int mode, int nlink, int uid, int gid, long size,
                         Instant mtime) {

    /** 512-byte blocks, as st_blocks counts them. */
    public long blocks() {
        return (size + 511) / 512;
    }
}
