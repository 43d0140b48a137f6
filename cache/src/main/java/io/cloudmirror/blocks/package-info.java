/**
 * The block cache and the read path: how file bytes get from the origin to a reader, and stay on local
 * disk for the next one.
 *
 * <h2>Blocks and keys</h2>
 * A blob version is cut into blocks of {@link io.cloudmirror.blocks.ReadSettings#blockSize() 1 MiB}; the
 * last block of a blob is shorter, and a small file is one short block. A block is keyed by (blob name,
 * ETag, block index): the name and ETag are hashed together with SHA-256 ({@link io.cloudmirror.blocks.BlobKey}),
 * so a new version of a blob can never be served from an old version's blocks, and cache file names reveal
 * nothing of blob names. 1 MiB is small enough that a random 4 KiB read fetches and stores little (one
 * block), and large enough that a 10 GiB cache is ten thousand files and a sequential read is a few
 * hundred GETs per GiB, which the fetcher merges into ranged GETs of up to 8 blocks (8 MiB), the size
 * that gives the best throughput from Azure and Azurite.
 *
 * <h2>File format and integrity</h2>
 * Each block is one file, {@code <cache>/blocks/<hh>/<key>-<index>}: a header (magic, layout, block
 * index, length, the full SHA-256 key, a CRC32C of every 64 KiB chunk of the data, and a CRC32C of the
 * header itself) followed by the data ({@link io.cloudmirror.blocks.BlockFormat}). Blocks of 256 KiB and
 * more use a page-aligned layout (a 4 KiB header page, data padded to whole pages) so that whole blocks are
 * written and loaded with direct I/O: on the 2-core test host, pushing a block through the page cache cost
 * four to five times the CPU of the direct transfer (3.4 against 0.75 CPU-seconds per GiB written), and the
 * kernel already caches the mounted file's own pages, so caching the block file too would only hold the
 * same bytes twice. Small blocks (small files) keep a compact layout and the page cache.
 *
 * <p>Every read checks the header against the block it expects (key, index, length, exact file size) and
 * the CRC32C of every chunk it returns; chunk checksums let a 128 KiB kernel read verify 128 KiB instead of
 * the whole block. A file that fails any check (truncated by a power loss, edited by hand, belonging to
 * another block) is deleted and the block fetched again; it is never served. Where a blob has a Content-MD5
 * and all of it is fetched (in one GET, or by the prefetcher in order), the MD5 is verified too; a mismatch
 * is not cached.
 *
 * <h2>Crash safety</h2>
 * A block is written to {@code tmp/} and renamed into place, so a block file is either absent or whole as
 * written, and {@code tmp/} is emptied at start. Blocks are not fsynced: after a power loss a renamed file
 * may come back empty or with stale content, but that is exactly what the per-read checks catch, and the
 * price is one refetch of that block, not an fsync for every block written. The cache needs no journal: at
 * start it lists the block files (one directory entry and one stat per file: about 2 µs each when the inodes
 * are cached, so a full 10 GiB cache of 10,240 blocks opens in a few tens of milliseconds, and 100,000 small
 * files in a fraction of a second) and takes them, oldest first, as its least recently used order; the
 * index costs about 100 bytes of heap per block.
 *
 * <h2>Size limit and eviction</h2>
 * The {@link io.cloudmirror.blocks.Ledger} accounts each file in 4 KiB allocation units and enforces
 * {@code spec.cache.maxSize} as a hard limit: a fill reserves its bytes before writing, and a reservation
 * is granted only if present blocks, blocks being deleted and all reservations fit, so concurrent fills
 * never overshoot. To make room a demand fill evicts the least recently used blocks of versions no open
 * file reads; an open file's version is pinned, and if everything is pinned the block is served without
 * being cached. Prefetch only fills free space and never evicts. After each publish the blocks of
 * versions that left the tree are dropped, unless an open file still reads them. A full disk (ENOSPC)
 * fails the fill, which is logged and counted, and the read is served from memory.
 *
 * <h2>Readahead</h2>
 * Each open file has a {@link io.cloudmirror.blocks.BlobReader}. A read is sequential if it starts at
 * offset 0 on a fresh reader, continues within one block of the last block read (the kernel sends
 * neighbouring reads from several threads, slightly out of order), or lands on a block already requested
 * ahead. A sequential reader keeps a window of blocks requested ahead of it: 1 block at first, doubled
 * for every block it consumes from the window, up to 64 blocks (64 MiB); the window is topped up in runs
 * of up to 8 blocks, one GET each, so a fast reader has up to 8 GETs of 8 MiB in flight (the size and
 * concurrency that get the most out of Azure and Azurite). Any other read drops the window, resets it to 1
 * block, and fetches only the blocks it covers; a first read in the middle of a file starts no readahead
 * until the next read continues it. Blocks ahead that are already on disk are loaded from disk (whole,
 * with direct I/O, on their own threads, so a stalled origin never delays cached data); the others are
 * fetched, handed to the reader from memory, and written to the cache.
 *
 * <h2>Memory bound</h2>
 * All block buffers come from one pool per subvolume, 128 MiB by default
 * ({@link io.cloudmirror.blocks.ReadSettings#memoryBytes()}). Readahead and prefetch may take buffers only
 * while a quarter of the pool is free, and readahead never waits for one, so a read that a caller waits
 * for always finds memory: without it, idle readahead windows could starve it.
 *
 * <h2>Single flight, pinning and versions</h2>
 * A block is loaded once at a time: a second reader of a block in flight waits for the same load
 * ({@link io.cloudmirror.blocks.BlockLoader}). Reads are pinned to the ETag the file was opened on; when
 * that version is gone from the cloud, a block still cached is served, and a block not cached fails with
 * {@link io.cloudmirror.origin.OriginException.VersionGone} (ESTALE), never with another version's bytes.
 *
 * <h2>The origin's data path</h2>
 * Ranged GETs go through {@link io.cloudmirror.origin.BlobOrigin#read(String, String, long,
 * java.nio.ByteBuffer[])}: one request fills several block buffers in turn. For Azure that is plain
 * blocking HTTP with the SDK's credentials rather than the SDK's reactive pipeline, which took three to four
 * times the CPU per byte; on a small edge host the CPU, not the network, is what limits a cold read.
 *
 * <h2>Timeouts</h2>
 * A read waits at most {@link io.cloudmirror.blocks.ReadSettings#readTimeout()} for bytes it needs, then
 * fails with {@link io.cloudmirror.origin.OriginException.Unreachable} (EIO); the fetch goes on in the
 * background and fills the cache if it ever completes. Cached reads never wait for the origin.
 */
package io.cloudmirror.blocks;
