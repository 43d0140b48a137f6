package io.cloudmirror.blocks;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The on-disk block cache of one subvolume: blocks of blob versions, keyed by (blob name, ETag, block
 * index), under a hard size limit with least-recently-used eviction, pinning of the versions open files
 * read, checksums verified on every read, and crash-safe writes. See the package documentation for the
 * design.
 *
 * <p>Every failure of the disk is contained here: a block that cannot be written is simply not cached
 * ({@link #put} returns false), and a block that cannot be read back intact is dropped and reported as
 * absent ({@link #read} returns false), so callers fetch it again.
 *
 * <p>Thread-safe. One process owns a cache directory at a time ({@code cache.lock}).
 */
public final class BlockCache implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BlockCache.class);
    private static final String LOCK = "cache.lock";

    private final Path dir;
    private final BlockFiles files;
    private final Ledger ledger;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();
    private final AtomicLong fills = new AtomicLong();
    private final AtomicLong fillFailures = new AtomicLong();
    private final AtomicLong fillsRefused = new AtomicLong();
    private final AtomicLong corrupt = new AtomicLong();
    private final AtomicLong lastFailureLog = new AtomicLong(-1);

    private BlockCache(Path dir, BlockFiles files, Ledger ledger, FileChannel lockChannel, FileLock lock) {
        this.dir = dir;
        this.files = files;
        this.ledger = ledger;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /**
     * Opens (creating if needed) the block cache in {@code dir} with a limit of {@code limitBytes}: removes
     * leftover temporary files, indexes the block files present (oldest first as least recently used), and
     * evicts the oldest if they exceed the limit. Costs one directory entry read and one stat per block file.
     *
     * @throws IOException if the directory cannot be used or another process holds it
     */
    public static BlockCache open(Path dir, long limitBytes) throws IOException {
        if (limitBytes <= 0) {
            throw new IllegalArgumentException("cache limit must be positive, got " + limitBytes);
        }
        Files.createDirectories(dir);
        FileChannel ch = FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        if (lock == null) {
            ch.close();
            throw new IOException("block cache " + dir + " is in use by another cloudmirror process");
        }
        try {
            BlockFiles files = new BlockFiles(dir);
            files.prepare();
            Ledger ledger = new Ledger(limitBytes);
            long started = System.nanoTime();
            List<BlockFiles.Found> found = files.scan();
            for (BlockFiles.Found f : found) {
                ledger.addExisting(f.id(), f.bytes());
            }
            ledger.trimToLimit(files::delete);
            LOG.info("block cache {}: {} blocks, {} MiB of {} MiB, indexed in {} ms", dir, ledger.blocks(),
                    ledger.used() >> 20, limitBytes >> 20, (System.nanoTime() - started) / 1_000_000);
            return new BlockCache(dir, files, ledger, ch, lock);
        } catch (IOException | RuntimeException e) {
            lock.release();
            ch.close();
            throw e;
        }
    }

    public Path directory() {
        return dir;
    }

    /** Whether block {@code index} of {@code key} is on disk (it may still turn out corrupt when read). */
    public boolean contains(BlobKey key, int index) {
        return ledger.contains(key.block(index));
    }

    /**
     * Reads bytes {@code [from, from + dst.remaining())} of block {@code index} of {@code key}, whose length
     * is {@code length}, into {@code dst}, verifying the checksums of what it reads.
     *
     * @return true if served ({@code dst}'s position advanced); false if the block is not cached, or was found
     *         corrupt, truncated or unreadable and has been dropped (then {@code dst}'s content is unspecified)
     */
    public boolean read(BlobKey key, int index, int length, int from, ByteBuffer dst) {
        return read(key, index, () -> files.read(key, key.block(index), length, from, dst));
    }

    private boolean read(BlobKey key, int index, FileRead read) {
        BlockId id = key.block(index);
        if (!ledger.touch(id)) {
            misses.incrementAndGet();
            return false;
        }
        try {
            read.run();
            hits.incrementAndGet();
            return true;
        } catch (NoSuchFileException e) {
            LOG.warn("block cache: block file {} vanished; fetching the block again", files.path(id));
            ledger.drop(id, files::delete);
        } catch (BlockFormat.CorruptBlock e) {
            corrupt.incrementAndGet();
            LOG.warn("block cache: block file {} is corrupt ({}); dropped, fetching the block again",
                    files.path(id), e.getMessage());
            ledger.drop(id, files::delete);
        } catch (IOException e) {
            corrupt.incrementAndGet();
            LOG.warn("block cache: cannot read block file {} ({}); dropped, fetching the block again",
                    files.path(id), e.toString());
            ledger.drop(id, files::delete);
        }
        misses.incrementAndGet();
        return false;
    }

    /** A read of one block file. */
    @FunctionalInterface
    private interface FileRead {
        void run() throws IOException, BlockFormat.CorruptBlock;
    }

    /**
     * Stores the remaining bytes of {@code data} as block {@code index} of {@code key}, if they fit. Demand
     * fills ({@code mayEvict}) evict least recently used blocks of unpinned versions to make room; prefetch
     * fills only use free space. {@code data}'s position is unchanged.
     *
     * @return whether the block is now cached by this call; false if it was already there or being written,
     *         did not fit, or could not be written (disk full, I/O error: logged, counted, nothing left behind)
     */
    public boolean put(BlobKey key, int index, ByteBuffer data, boolean mayEvict) {
        BlockId id = key.block(index);
        long bytes = BlockFiles.accounted(data.remaining());
        if (!ledger.beginFill(id, bytes, mayEvict, files::delete)) {
            if (!ledger.contains(id)) {
                fillsRefused.incrementAndGet();
            }
            return false;
        }
        boolean done = false;
        try {
            files.write(key, id, data);
            ledger.commit(id, bytes);
            fills.incrementAndGet();
            done = true;
            return true;
        } catch (ClosedByInterruptException e) {
            LOG.debug("block cache {}: a fill was interrupted (shutting down)", dir);
            return false;
        } catch (IOException | RuntimeException e) {
            fillFailures.incrementAndGet();
            logFillFailure(e);
            return false;
        } finally {
            if (!done) {
                ledger.cancel(id, bytes);
            }
        }
    }

    /** Logs a failed fill: the first, then at most one a minute (a full disk fails every fill). */
    private void logFillFailure(Exception e) {
        long now = System.nanoTime();
        long last = lastFailureLog.get();
        if ((last == -1 || now - last > 60_000_000_000L) && lastFailureLog.compareAndSet(last, now)) {
            LOG.warn("block cache {}: cannot store a block ({}); reads are served without caching ({} such "
                    + "failures so far)", dir, e.toString(), fillFailures.get());
        }
    }

    /** Pins {@code key}: its blocks are not evicted until it is unpinned as often. */
    public void pin(BlobKey key) {
        ledger.pin(key.id());
    }

    /**
     * Drops one pin of {@code key}. The last pin of a version that {@link #retain} found gone from the tree
     * takes its blocks with it: an open file kept them, and it has closed.
     */
    public void unpin(BlobKey key) {
        if (ledger.unpin(key.id())) {
            ledger.dropUnpinned(key.id(), files::delete);
        }
    }

    /** Removes every cached block of {@code key} (e.g. after its content failed verification). */
    public void drop(BlobKey key) {
        ledger.dropAll(key.id(), files::delete);
    }

    /**
     * Removes the blocks of every version that {@code live} does not hold and no open file pins: versions
     * replaced or deleted in the cloud. Those that are pinned go when their last pin does ({@link #unpin}).
     *
     * @return blocks removed
     */
    public int retain(LiveVersions live) {
        Predicate<KeyId> test = live::contains;
        return ledger.retain(test, files::delete);
    }

    /** Bytes that can still be filled without evicting anything. */
    public long freeBytes() {
        return ledger.free();
    }

    /**
     * Reads all {@code length} bytes of block {@code index} of {@code key} into {@code dst}, verifying every
     * chunk; bypasses the page cache when {@code dst} allows direct I/O (see {@link BlockFiles#readWhole}).
     *
     * @return true if served; false if not cached, or found corrupt and dropped
     */
    public boolean readWhole(BlobKey key, int index, int length, ByteBuffer dst) {
        return read(key, index, () -> files.readWhole(key, key.block(index), length, dst));
    }

    /** Bytes the cache accounts for a block of {@code length} bytes. */
    public static long accountedBytes(int length) {
        return BlockFiles.accounted(length);
    }

    public CacheStats stats() {
        long[] l = ledger.snapshot();
        return new CacheStats(ledger.limit(), l[0], l[1], l[2], hits.get(), misses.get(), fills.get(),
                fillFailures.get(), fillsRefused.get(), l[3], corrupt.get());
    }

    /** The cached blocks, least recently used first (for tests). */
    List<BlockId> lruOrder() {
        return ledger.inLruOrder();
    }

    /** Whole-block transfers done with direct I/O so far (for tests). */
    long directTransfers() {
        return files.directTransfers.get();
    }

    /** The file of a block (for tests that damage it). */
    Path fileOf(BlobKey key, int index) {
        return files.path(key.block(index));
    }

    @Override
    public void close() {
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            LOG.debug("closing the block cache lock: {}", e.toString());
        }
    }
}
