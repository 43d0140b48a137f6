package io.cloudmirror.clone;

import io.cloudmirror.control.ControlProtocol.ManifestEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads a subvolume's files through its mount: the daemon serves them from the block cache and fetches the
 * rest from the origin with ranged reads pinned to the version the open saw, so a clone reuses cached blocks
 * and never mixes versions. An open file whose size or time is not the manifest's (a sync published a newer
 * generation since the manifest was taken) is refused.
 *
 * <p>Thread-safe.
 */
public final class MountedTree implements CloneSource {

    private final Path root;

    /** @param root the subvolume's directory under the mount point */
    public MountedTree(Path root) {
        this.root = root;
    }

    @Override
    public Reader open(ManifestEntry entry) throws IOException {
        Path file = root.resolve(entry.path());
        FileChannel c = FileChannel.open(file, StandardOpenOption.READ);
        try {
            long size = c.size();
            long mtime = Files.getLastModifiedTime(file).toMillis();
            if (size != entry.size() || Math.floorDiv(mtime, 1000) != Math.floorDiv(entry.mtimeMillis(), 1000)) {
                throw new CloneException("changed in the mirror since the clone started (a sync published a newer "
                        + "version: " + size + " bytes, mtime " + mtime + " ms); run the clone again to copy it");
            }
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
        return new Reader() {
            @Override
            public int read(ByteBuffer dst, long position) throws IOException {
                return c.read(dst, position);
            }

            @Override
            public void close() throws IOException {
                c.close();
            }
        };
    }
}
