package io.cloudmirror.blocks;

import java.util.concurrent.CompletableFuture;

/**
 * A block being loaded into memory, from the origin or from the cache disk, that any number of readers may
 * wait for. Completes normally once {@link #data} holds the block's {@link #length} bytes, or with the
 * {@link io.cloudmirror.origin.OriginException} that stopped it; {@link #stored} then says whether it is
 * in the cache.
 *
 * <p>Thread-safe; see {@link BlockData} for who holds references.
 */
final class Pending {

    final BlockId id;
    final int length;
    final BlockData data;
    final CompletableFuture<Void> done = new CompletableFuture<>();
    /** Completes after {@link #done}: true once the block is on the cache disk, false if it could not be stored. */
    final CompletableFuture<Boolean> stored = new CompletableFuture<>();

    Pending(BlockId id, int length, BlockData data) {
        this.id = id;
        this.length = length;
        this.data = data;
    }

    /** Drops the caller's reference. */
    void release() {
        data.release();
    }
}
