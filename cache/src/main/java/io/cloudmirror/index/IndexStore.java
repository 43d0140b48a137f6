package io.cloudmirror.index;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The directory of index generations of one subvolume: which generation is current, how the next one
 * is started and published, and when old ones are deleted.
 *
 * <p>Layout: {@code gen-NNNNNNNNNN/} directories, the file {@code CURRENT} naming the published one,
 * {@code index.lock} held by the owning process, and {@code CLEAN} present only between a clean close
 * and the next open. Publishing rewrites {@code CURRENT} atomically, so a crash at any moment leaves
 * either the old or the new generation whole. After an unclean stop the current generation is reopened
 * in recovery mode, which resets Chronicle Map locks a killed process may have left held.
 *
 * <p>Thread-safe: {@link #acquire()} may be called from any thread; builds and publishes are serialized.
 */
public final class IndexStore implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(IndexStore.class);
    private static final String CURRENT = "CURRENT";
    private static final String CLEAN = "CLEAN";
    private static final String LOCK = "index.lock";
    private static final String PREFIX = "gen-";

    private final Path dir;
    private final String salt;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final AtomicBoolean building = new AtomicBoolean();
    private volatile Generation current;
    private boolean closed;

    private IndexStore(Path dir, String salt, FileChannel lockChannel, FileLock lock) {
        this.dir = dir;
        this.salt = salt;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /**
     * Opens (creating if needed) the index directory {@code dir} and maps its published generation.
     *
     * @param salt distinguishes the inode numbers of different subvolumes; use the subvolume name
     * @throws IOException if another process holds the directory, or it cannot be read or written
     */
    public static IndexStore open(Path dir, String salt) throws IOException {
        return open(dir, salt, LOCK_WAIT);
    }

    /** How long {@link #open} waits for a previous owner (say, a daemon still shutting down) to let go. */
    static final java.time.Duration LOCK_WAIT = java.time.Duration.ofSeconds(15);

    static IndexStore open(Path dir, String salt, java.time.Duration lockWait) throws IOException {
        Files.createDirectories(dir);
        FileChannel ch = FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = null;
        long deadline = System.nanoTime() + lockWait.toNanos();
        while (true) {
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock != null || System.nanoTime() >= deadline) {
                break;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (lock == null) {
            ch.close();
            throw new IOException("index directory " + dir + " is in use by another cloudmirror process (waited "
                    + lockWait.toSeconds() + " s for it to let go)");
        }
        IndexStore store = new IndexStore(dir, salt, ch, lock);
        try {
            store.load();
        } catch (IOException | RuntimeException e) {
            lock.release();
            ch.close();
            throw e;
        }
        return store;
    }

    private void load() throws IOException {
        Path clean = dir.resolve(CLEAN);
        boolean recover = !Files.exists(clean);
        Files.deleteIfExists(clean);
        Durable.syncDirectory(dir);
        String published = readCurrent();
        Generation g = null;
        if (published != null) {
            Path genDir = dir.resolve(published);
            try {
                long t0 = System.nanoTime();
                g = Generation.open(genDir, recover);
                LOG.info("serving index generation {} ({} files, {} directories){} in {} ms", g.number(),
                        g.stats().files(), g.stats().directories(), recover ? ", recovered after an unclean stop" : "",
                        (System.nanoTime() - t0) / 1_000_000);
            } catch (IOException | RuntimeException e) {
                LOG.error("cannot open published index generation {}; serving an empty tree until the next sync: {}",
                        genDir, e.toString());
            }
        }
        current = g != null ? g : Generation.empty(salt);
        deleteLeftovers(published);
    }

    private String readCurrent() throws IOException {
        Path f = dir.resolve(CURRENT);
        if (!Files.exists(f)) {
            return null;
        }
        String name = Files.readString(f, StandardCharsets.UTF_8).strip();
        if (!name.matches(PREFIX + "[0-9]{10}")) {
            throw new IOException("corrupt " + f + ": unexpected content");
        }
        return name;
    }

    private void deleteLeftovers(String keep) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                String name = p.getFileName().toString();
                if (name.startsWith(PREFIX) && !name.equals(keep)) {
                    LOG.debug("deleting leftover index directory {}", p);
                    Durable.deleteTree(p);
                }
            }
        }
    }

    /** The directory this store manages. */
    public Path directory() {
        return dir;
    }

    /**
     * Takes a reference to the current generation; the caller must {@link Generation#release()} it.
     * Never returns {@code null}: before the first sync this is an empty tree.
     */
    public Generation acquire() {
        while (true) {
            Generation g = current;
            if (g.tryAcquire()) {
                return g;
            }
            if (closed) {
                throw new IllegalStateException("index store " + dir + " is closed");
            }
        }
    }

    /** The stats of the current generation. */
    public GenerationStats currentStats() {
        return current.stats();
    }

    /**
     * Starts building the next generation. Only one build may run at a time.
     *
     * @throws IllegalStateException if a build is already running
     */
    public GenerationBuilder newBuilder() throws IOException {
        if (!building.compareAndSet(false, true)) {
            throw new IllegalStateException("a generation is already being built in " + dir);
        }
        try {
            Generation previous = acquire();
            long number = previous.number() + 1;
            String name = PREFIX + String.format("%010d", number);
            Path tmp = dir.resolve(name + ".tmp");
            Durable.deleteTree(tmp);
            Durable.deleteTree(dir.resolve(name));
            return new GenerationBuilder(tmp, dir.resolve(name), number, salt, previous, () -> {
                previous.release();
                building.set(false);
            });
        } catch (IOException | RuntimeException e) {
            building.set(false);
            throw e;
        }
    }

    /**
     * Makes a built generation the current one, atomically and durably. The previous generation is
     * deleted once the last handle using it is released.
     *
     * @return the newly current generation's stats
     */
    public synchronized GenerationStats publish(GenerationBuilder.Prepared prepared) throws IOException {
        Path genDir = prepared.directory();
        Generation next = Generation.open(genDir, false);
        Durable.writeAtomically(dir.resolve(CURRENT),
                (genDir.getFileName().toString() + "\n").getBytes(StandardCharsets.UTF_8));
        Generation old = current;
        current = next;
        old.retire();
        LOG.info("published index generation {}: {} files, {} directories, {} bytes, {} skipped",
                next.number(), next.stats().files(), next.stats().directories(), next.stats().bytes(),
                next.stats().skippedTotal());
        return next.stats();
    }

    /** Closes the current generation and marks the directory cleanly closed. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            current.release();
            if (!current.isOpen()) {
                Files.writeString(dir.resolve(CLEAN), "clean\n");
                Durable.syncDirectory(dir);
            }
        } catch (IOException e) {
            LOG.warn("cannot mark index {} clean: {}", dir, e.toString());
        } finally {
            try {
                lock.release();
                lockChannel.close();
            } catch (IOException e) {
                LOG.debug("releasing index lock", e);
            }
        }
    }
}
