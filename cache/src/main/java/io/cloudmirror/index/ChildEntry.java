package io.cloudmirror.index;

/**
 * One entry of a directory listing: enough for readdir without looking the child up.
 *
 * @param name  the child's name within its directory
 * @param kind  file or directory
 * @param inode the child's inode number
 */
public record ChildEntry(String name, NodeKind kind, long inode) {
}
