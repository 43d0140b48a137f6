package io.cloudmirror.clone;

import io.cloudmirror.blocks.BlockFileReader;
import io.cloudmirror.control.ControlProtocol.ManifestEntry;
import io.cloudmirror.origin.BlobOrigin;
import io.cloudmirror.origin.OriginException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reads a subvolume's files without the mount: each range from the daemon's block cache where it holds the
 * block (read-only, checked), the rest straight from the origin with ranged reads pinned (If-Match) to the
 * ETag the manifest lists, as large as the caller's buffer, up to the next cached block. A blob that changed
 * since the manifest was taken fails its pinned read, so versions never mix. Skipping FUSE, this runs at the
 * origin's speed.
 *
 * <p>Thread-safe; the origin and the cache reader are shared by all open files.
 */
public final class OriginTree implements CloneSource, AutoCloseable {

    private final BlobOrigin origin;
    private final BlockFileReader cached;
    private final AtomicLong fromCache = new AtomicLong();
    private final AtomicLong fromOrigin = new AtomicLong();

    /**
     * @param origin the subvolume's origin; a manifest path is its blob name
     * @param cached the daemon's block files, or null to read everything from the origin
     */
    public OriginTree(BlobOrigin origin, BlockFileReader cached) {
        this.origin = origin;
        this.cached = cached;
    }

    /** Bytes read from the block cache so far. */
    public long bytesFromCache() {
        return fromCache.get();
    }

    /** Bytes read from the origin so far. */
    public long bytesFromOrigin() {
        return fromOrigin.get();
    }

    /** Closes the origin. */
    @Override
    public void close() {
        origin.close();
    }

    @Override
    public Reader open(ManifestEntry entry) throws IOException {
        if (entry.etag() == null) {
            throw new CloneException("the manifest lists no ETag for " + entry.path());
        }
        String name = entry.path();
        String etag = entry.etag();
        long size = entry.size();
        return new Reader() {
            @Override
            public int read(ByteBuffer dst, long position) throws IOException {
                if (position >= size) {
                    return -1;
                }
                if (cached != null) {
                    int n = cached.read(name, etag, size, position, dst);
                    if (n > 0) {
                        fromCache.addAndGet(n);
                        return n;
                    }
                }
                long end = Math.min(size, position + dst.remaining());
                if (cached != null) {
                    int bs = cached.blockSize();
                    for (long b = position / bs + 1; b * bs < end; b++) {
                        if (cached.has(name, etag, (int) b)) {
                            end = b * bs;
                            break;
                        }
                    }
                }
                ByteBuffer range = dst.slice(dst.position(), (int) (end - position));
                int n;
                try {
                    n = origin.read(name, etag, position, range);
                } catch (OriginException e) {
                    throw new CloneException(e.getMessage());
                }
                dst.position(dst.position() + n);
                fromOrigin.addAndGet(n);
                return n == 0 ? -1 : n;
            }

            @Override
            public void close() {
            }
        };
    }
}
