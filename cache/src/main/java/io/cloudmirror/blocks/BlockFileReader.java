package io.cloudmirror.blocks;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Read-only access to the block files of a cache directory that another process (a running daemon) owns, for
 * tools that reuse cached blocks without opening the cache: no ledger, no pins, no writes, no eviction. Every
 * read checks the block's header and chunk checksums; a block that is absent, that the daemon evicts
 * meanwhile, or that fails a check reads as absent, so the caller fetches it from the origin instead.
 *
 * <p>Thread-safe: every read opens its own file channel.
 */
public final class BlockFileReader {

    private final BlockFiles files;
    private final int blockSize;

    private BlockFileReader(Path dir, int blockSize) {
        this.files = new BlockFiles(dir);
        this.blockSize = blockSize;
    }

    /**
     * A reader of the block files under {@code dir} (a cache directory's {@code blocks}), cut in blocks of
     * {@link ReadSettings#DEFAULT_BLOCK_SIZE} as the daemon's.
     *
     * @throws AccessDeniedException if this process may not read the directory
     * @throws NoSuchFileException   if there is no such directory
     */
    public static BlockFileReader open(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "no block cache directory");
        }
        if (!Files.isReadable(dir) || !Files.isExecutable(dir)) {
            throw new AccessDeniedException(dir.toString(), null, "the block cache directory is not readable");
        }
        return new BlockFileReader(dir, ReadSettings.DEFAULT_BLOCK_SIZE);
    }

    public int blockSize() {
        return blockSize;
    }

    /** Whether block {@code index} of version {@code etag} of blob {@code name} has a file now (unchecked). */
    public boolean has(String name, String etag, int index) {
        return Files.exists(files.path(BlobKey.of(name, etag).block(index)));
    }

    /**
     * Copies bytes of version {@code etag} of blob {@code name} ({@code size} bytes) from {@code offset}, up to
     * the end of the block holding it, into {@code dst} when that block is cached and passes its checks.
     *
     * @return the bytes copied (dst's position advanced by as many), or -1 when the block is not usable:
     *         absent, evicted, unreadable or corrupt (dst unchanged)
     */
    public int read(String name, String etag, long size, long offset, ByteBuffer dst) {
        if (offset < 0 || offset >= size || !dst.hasRemaining()) {
            return -1;
        }
        int index = (int) (offset / blockSize);
        int from = (int) (offset - (long) index * blockSize);
        int length = (int) Math.min(blockSize, size - (long) index * blockSize);
        int n = Math.min(dst.remaining(), length - from);
        BlobKey key = BlobKey.of(name, etag);
        try {
            files.read(key, key.block(index), length, from, dst.duplicate().limit(dst.position() + n));
        } catch (IOException | BlockFormat.CorruptBlock e) {
            return -1;
        }
        dst.position(dst.position() + n);
        return n;
    }
}
