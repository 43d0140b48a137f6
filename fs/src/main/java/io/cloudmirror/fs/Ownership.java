package io.cloudmirror.fs;

/**
 * Who owns every path and which permission bits are masked, from the {@code uid=}, {@code gid=} and
 * {@code umask=} mount options. Immutable.
 *
 * @param uid   owner of every file and directory
 * @param gid   group of every file and directory
 * @param umask bits removed from 0444 (files) and 0555 (directories)
 */
public record Ownership(int uid, int gid, int umask) {

    public static final int FILE_MODE = 0444;
    public static final int DIRECTORY_MODE = 0555;

    /** Permission bits of a file. */
    public int fileMode() {
        return FILE_MODE & ~umask;
    }

    /** Permission bits of a directory. */
    public int directoryMode() {
        return DIRECTORY_MODE & ~umask;
    }
}
