package io.cloudmirror.blocks;

/**
 * One block of one blob version: what a cache file holds. Immutable.
 *
 * @param hi    first 64 bits of the version's digest
 * @param lo    next 64 bits
 * @param index the block's index in the blob (offset / block size)
 */
record BlockId(long hi, long lo, int index) {

    /** The version this block belongs to. */
    KeyId key() {
        return new KeyId(hi, lo);
    }
}
