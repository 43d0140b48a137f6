package io.cloudmirror.blocks;

/**
 * One blob version being read, cut into blocks. Immutable.
 *
 * @param key       the version
 * @param size      its size in bytes
 * @param md5       its Content-MD5, or null
 * @param blockSize bytes per block
 */
record BlobRef(BlobKey key, long size, byte[] md5, int blockSize) {

    int blockCount() {
        return (int) ((size + blockSize - 1) / blockSize);
    }

    long offset(int index) {
        return (long) index * blockSize;
    }

    /** Bytes in block {@code index}: the block size, less for the last block. */
    int length(int index) {
        return (int) Math.min(blockSize, size - offset(index));
    }

    int blockOf(long offset) {
        return (int) (offset / blockSize);
    }

    String name() {
        return key.name();
    }
}
