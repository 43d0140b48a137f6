package io.cloudmirror.blocks;

/**
 * The cache's identity of a blob version: the first 128 bits of its {@link BlobKey} digest. Immutable.
 *
 * @param hi first 64 bits
 * @param lo next 64 bits
 */
record KeyId(long hi, long lo) {

    /** 32 lowercase hex digits, as cache file names spell it. */
    String hex() {
        return String.format("%016x%016x", hi, lo);
    }

    /** Block {@code index} of this version. */
    BlockId block(int index) {
        return new BlockId(hi, lo, index);
    }
}
