package io.cloudmirror.index;

import java.nio.charset.StandardCharsets;
import net.openhft.chronicle.algo.hashing.LongHashFunction;

/**
 * Assigns inode numbers: a 63-bit xxHash64 of the subvolume name and the path, so a path keeps its
 * number across syncs and restarts without any stored state. The rare collision within one generation
 * is resolved by rehashing with a counter; only the colliding path's number then depends on listing order.
 *
 * <p>Not thread-safe: one instance serves one generation build.
 */
final class Inodes {

    /** The mount root's inode number; never assigned to a path. */
    static final long MOUNT_ROOT = 1;

    private static final LongHashFunction XX = LongHashFunction.xx_r39();

    private final String salt;
    private final LongHashSet taken = new LongHashSet();

    Inodes(String salt) {
        this.salt = salt;
    }

    /** The inode number for {@code path}, unique within this build. */
    long assign(String path) {
        long ino = hash(salt, path, 0);
        for (int k = 1; !taken.add(ino); k++) {
            ino = hash(salt, path, k);
        }
        return ino;
    }

    /** Releases a number assigned earlier (a file replaced by a directory keeps no claim). */
    void release(long inode) {
        taken.remove(inode);
    }

    /** The preferred inode number of {@code path} in subvolume {@code salt}. */
    static long hash(String salt, String path, int attempt) {
        String key = attempt == 0 ? salt + '\0' + path : salt + '\0' + path + '\0' + attempt;
        long h = XX.hashBytes(key.getBytes(StandardCharsets.UTF_8)) & Long.MAX_VALUE;
        return h <= MOUNT_ROOT ? h + 2 : h;
    }
}
