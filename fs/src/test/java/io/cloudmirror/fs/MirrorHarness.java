package io.cloudmirror.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.cloudmirror.blocks.BlobReader;
import io.cloudmirror.blocks.BlockCache;
import io.cloudmirror.blocks.CachedContent;
import io.cloudmirror.blocks.ReadSettings;
import io.cloudmirror.index.IndexStore;
import io.cloudmirror.origin.FaultyOrigin;
import io.cloudmirror.origin.InMemoryOrigin;
import io.cloudmirror.origin.OriginException;
import io.cloudmirror.sync.Syncer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The system under test of {@link ReferenceModelTest} and its reference model, side by side.
 *
 * <p>The system: the FUSE-free core ({@link MirrorFileSystem}) over an {@link IndexStore}, a {@link Syncer} and
 * the block cache read path ({@link CachedContent} on a small {@link BlockCache}), reading from an
 * {@link InMemoryOrigin} behind a {@link FaultyOrigin}. A restart closes all of it and opens it again on the same
 * directories, as a daemon restart does.
 *
 * <p>The model: the cloud as a map of blob name to version (bytes and ETag), the blobs of the last successful
 * sync, and the open handles with the version each was opened on. {@link #check()} compares the visible tree
 * and every byte with what the model says, after every step.
 *
 * <p>Not thread-safe: one property try drives one harness.
 */
final class MirrorHarness implements AutoCloseable {

    /** One blob version: its bytes and the ETag the cloud gave it. */
    record Version(byte[] bytes, String etag) {
        @Override
        public String toString() {
            return bytes.length + " bytes @" + etag;
        }
    }

    /** An open file and the version it was opened on. */
    record Held(long fh, String path, Version version) {
    }

    /** Blocks of 64 KiB, a cache of 256 KiB: multi-block files, and eviction at every few reads. */
    static final ReadSettings SETTINGS = new ReadSettings(64 * 1024, Duration.ofSeconds(5), 1, 4, 2, 2, 1,
            1L << 20, 2);
    static final long CACHE_BYTES = 256 * 1024;
    static final String SUB = "/m";

    final Path dir;
    final InMemoryOrigin cloud = new InMemoryOrigin(Clock.systemUTC(), true);
    final FaultyOrigin origin = new FaultyOrigin(cloud);
    private IndexStore index;
    private BlockCache blocks;
    private CachedContent content;
    Syncer syncer;
    MirrorFileSystem fs;

    /** The cloud now. */
    final Map<String, Version> cloudModel = new TreeMap<>();
    /** The blobs the last successful sync listed. */
    Map<String, Version> published = Map.of();
    /** Open handles. */
    final List<Held> held = new ArrayList<>();

    MirrorHarness() throws IOException {
        this.dir = Files.createTempDirectory("cloudmirror-model-");
        open();
    }

    /** Opens the stores and the core, as a daemon start does. */
    void open() throws IOException {
        index = IndexStore.open(dir.resolve("index"), "media");
        blocks = BlockCache.open(dir.resolve("blocks"), CACHE_BYTES);
        content = CachedContent.create("media", origin, blocks, SETTINGS);
        syncer = new Syncer("media", origin, "", index, Clock.systemUTC());
        fs = new MirrorFileSystem(List.of(new Subvolume("media", "m", index, new CachedSource(content), true)),
                new Ownership(0, 0, 0), Instant.EPOCH);
    }

    /** Closes everything, as a daemon stop does (open handles die with it). */
    void shutdown() {
        fs.close();
        content.close();
        blocks.close();
        index.close();
        held.clear();
    }

    @Override
    public void close() throws IOException {
        shutdown();
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    // ---- the model's view ------------------------------------------------------------------------

    /** Whether the model thinks {@code path} can be a path (the generator's names need no more than this). */
    static boolean valid(String path) {
        if (path.isEmpty()) {
            return false;
        }
        for (String c : path.split("/", -1)) {
            if (c.isEmpty() || c.equals(".") || c.equals("..")) {
                return false;
            }
        }
        return true;
    }

    /** The files the published blobs make: valid names, not shadowed by a directory. */
    Map<String, Version> expectedFiles() {
        Map<String, Version> files = new TreeMap<>();
        Set<String> dirs = expectedDirectories();
        for (Map.Entry<String, Version> e : published.entrySet()) {
            String n = e.getKey();
            if (!n.endsWith("/") && valid(n) && !dirs.contains(n)) {
                files.put(n, e.getValue());
            }
        }
        return files;
    }

    /** The directories the published blobs make: every ancestor of a valid name, and valid markers. */
    Set<String> expectedDirectories() {
        Set<String> dirs = new TreeSet<>();
        for (String n : published.keySet()) {
            boolean marker = n.endsWith("/");
            String p = marker ? n.substring(0, n.length() - 1) : n;
            if (!valid(p)) {
                continue;
            }
            if (marker) {
                dirs.add(p);
            }
            for (int slash = p.indexOf('/'); slash > 0; slash = p.indexOf('/', slash + 1)) {
                dirs.add(p.substring(0, slash));
            }
        }
        return dirs;
    }

    /** Whether the cloud no longer holds {@code v} of {@code name}: a read of an uncached block may then be stale. */
    boolean gone(String name, Version v) {
        Version now = cloudModel.get(name);
        return now == null || !now.etag().equals(v.etag());
    }

    // ---- the comparison --------------------------------------------------------------------------

    /** The visible tree and every byte against the model; every open handle against its version. */
    void check() throws Exception {
        Map<String, Boolean> seen = new TreeMap<>();
        walk("", seen);
        Map<String, Boolean> expected = new TreeMap<>();
        expectedDirectories().forEach(d -> expected.put(d, true));
        Map<String, Version> files = expectedFiles();
        files.keySet().forEach(f -> expected.put(f, false));
        assertEquals(expected, seen, "the visible tree (path -> is a directory) after a sync of " + published.keySet());
        for (Map.Entry<String, Version> e : files.entrySet()) {
            Attributes a = fs.getattr(SUB + "/" + e.getKey());
            assertEquals(e.getValue().bytes().length, a.size(), "size of " + e.getKey());
            readWhole(e.getKey(), e.getValue(), false);
        }
        for (Held h : held) {
            assertEquals(h.version().bytes().length, fs.fgetattr(h.fh()).size(), "fstat of open " + h.path());
            expectBytes(h.path(), h.version(), () -> readAll(h.fh(), h.version().bytes().length), false);
        }
    }

    /** Opens, reads and releases {@code path}; the bytes are {@code v}'s, or the read fails as the model allows. */
    void readWhole(String path, Version v, boolean faultArmed) throws Exception {
        long fh = fs.open(SUB + "/" + path, 0).fh();
        try {
            expectBytes(path, v, () -> readAll(fh, v.bytes().length), faultArmed);
        } finally {
            fs.release(fh);
        }
    }

    private interface Read {
        byte[] run() throws FsException;
    }

    private void expectBytes(String path, Version v, Read read, boolean faultArmed) {
        try {
            assertArrayEquals(v.bytes(), read.run(), "bytes of " + path + " (" + v + ")");
        } catch (FsException.Stale e) {
            assertTrue(gone(path, v), path + ": ESTALE although " + v + " is still in the cloud: " + e.getMessage());
        } catch (FsException.Io e) {
            assertTrue(faultArmed, path + ": EIO without a cloud fault: " + e.getMessage());
        } catch (FsException e) {
            fail(path + ": " + e, e);
        }
    }

    private byte[] readAll(long fh, int size) throws FsException {
        ByteBuffer dst = ByteBuffer.allocate(size + 1000);
        long offset = 0;
        while (true) {
            ByteBuffer chunk = dst.slice(dst.position(), Math.min(dst.remaining(), 70_000));
            int n = fs.read(fh, offset, chunk);
            if (n <= 0) {
                break;
            }
            offset += n;
            dst.position(dst.position() + n);
        }
        byte[] out = new byte[dst.position()];
        dst.flip().get(out);
        return out;
    }

    private void walk(String rel, Map<String, Boolean> seen) throws FsException {
        walk(fs, SUB, rel, (child, isDir) -> {
            if (seen.put(child, isDir) != null) {
                fail("listed twice: " + child);
            }
            assertEquals(isDir, fs.getattr(SUB + "/" + child).isDirectory(), "kind of " + child);
        });
    }

    /** Hears of one entry a {@link #walk(MirrorFileSystem, String, String, Entry)} found. */
    @FunctionalInterface
    interface Entry {
        void found(String path, boolean directory) throws FsException;
    }

    /**
     * Walks the tree under {@code root} of {@code fs} through opendir and readdir, depth first: each entry's
     * path relative to {@code root} (below {@code rel}) goes to {@code entry} before the walk enters it.
     */
    static void walk(MirrorFileSystem fs, String root, String rel, Entry entry) throws FsException {
        long dh = fs.opendir(rel.isEmpty() ? root : root + "/" + rel);
        List<String[]> children = new ArrayList<>();
        try {
            fs.readdir(dh, 0, (name, inode, directory, next) -> {
                if (!name.equals(".") && !name.equals("..")) {
                    children.add(new String[] {name, Boolean.toString(directory)});
                }
                return true;
            });
        } finally {
            fs.releasedir(dh);
        }
        for (String[] c : children) {
            String child = rel.isEmpty() ? c[0] : rel + "/" + c[0];
            boolean isDir = Boolean.parseBoolean(c[1]);
            entry.found(child, isDir);
            if (isDir) {
                walk(fs, root, child, entry);
            }
        }
    }

}
