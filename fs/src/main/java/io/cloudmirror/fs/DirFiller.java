package io.cloudmirror.fs;

/** Receives directory entries during readdir. */
@FunctionalInterface
public interface DirFiller {
    /**
     * Takes one entry.
     *
     * @param name       entry name
     * @param inode      its inode number
     * @param directory  whether it is a directory
     * @param nextOffset the offset to pass to readdir to continue after this entry
     * @return false when the caller's buffer is full: the entry was not taken, stop
     */
    boolean add(String name, long inode, boolean directory, long nextOffset);
}
