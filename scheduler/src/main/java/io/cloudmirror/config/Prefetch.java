package io.cloudmirror.config;

/** {@code spec.cache.prefetch}: what a sync downloads ahead of reads. */
public enum Prefetch {
    /** New and changed blobs are downloaded into the cache after each sync, as far as the cache budget allows. */
    all,
    /** Nothing is downloaded ahead; blocks are fetched on first read. */
    none
}
