package io.cloudmirror.clone;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cloudmirror.control.ControlProtocol.ManifestEntry;
import io.cloudmirror.origin.BlobItem;
import io.cloudmirror.origin.InMemoryOrigin;
import io.cloudmirror.origin.OriginException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The clone core over an in-memory origin: exactness, verification, refusals, resume. */
class ClonerTest {

    private static final long DIR_MTIME = 1_600_000_000_000L;
    private static final Cloner.Options SMALL_CHUNKS = new Cloner.Options(4, 64 * 1024, false);

    @TempDir
    Path tmp;

    private final InMemoryOrigin origin = new InMemoryOrigin();
    private final Map<String, byte[]> contents = new TreeMap<>();
    private final Set<String> failing = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicInteger> opens = new ConcurrentHashMap<>();
    private ExecutorService pool;

    @BeforeEach
    void setUp() {
        pool = Executors.newFixedThreadPool(4);
        Random r = new Random(3);
        for (String name : List.of("a.txt", "dir/b.bin", "dir/sub/c.bin", "big.bin", "empty", "odd name\tx")) {
            byte[] b = new byte[name.equals("big.bin") ? 1_000_003 : name.equals("empty") ? 0 : r.nextInt(100_000)];
            r.nextBytes(b);
            contents.put(name, b);
            origin.put(name, b, Map.of(), name.startsWith("dir/") ? Map.of("tier", "hot") : Map.of());
        }
    }

    @AfterEach
    void tearDown() {
        pool.shutdownNow();
    }

    /** The published tree of the origin as the daemon would list it: md5s known, tags, a directory time. */
    private List<ManifestEntry> manifest() throws OriginException {
        List<ManifestEntry> out = new ArrayList<>();
        out.add(new ManifestEntry("", true, 0, DIR_MTIME, null, null, null));
        out.add(new ManifestEntry("dir", true, 0, DIR_MTIME + 1000, null, null, null));
        out.add(new ManifestEntry("dir/sub", true, 0, DIR_MTIME + 2000, null, null, null));
        out.add(new ManifestEntry("empty-dir", true, 0, DIR_MTIME + 3000, null, null, null));
        origin.list("", (BlobItem b) -> out.add(new ManifestEntry(b.name(), false, b.size(),
                b.lastModified().toEpochMilli(), b.etag(), md5(contents.get(b.name())),
                b.tags().isEmpty() ? null : b.tags())));
        return out;
    }

    private static String md5(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads pinned to the manifest's ETag, as a clone without the mount does; paths in {@link #failing} fail. */
    private final CloneSource source = entry -> {
        opens.computeIfAbsent(entry.path(), k -> new AtomicInteger()).incrementAndGet();
        if (failing.contains(entry.path())) {
            throw new IOException("injected failure");
        }
        return new OriginTree(origin, null).open(entry);
    };

    private Cloner cloner(Cloner.Options options) {
        return new Cloner(source, pool, options, List.of(tmp.resolve("mirror")), p -> Long.MAX_VALUE);
    }

    @Test
    void readBuffersStayWithinTheirBudgetHoweverManyReadsRun() {
        assertEquals(8 << 20, new Cloner.Options(8, Cloner.Options.DEFAULT_CHUNK, false).readSize());
        for (int parallelism : new int[] {1, 9, 64, 256}) {
            int size = new Cloner.Options(parallelism, Cloner.Options.DEFAULT_CHUNK, false).readSize();
            assertTrue((long) size * parallelism <= Cloner.Options.BUFFERS_BUDGET && size >= 64 << 10,
                    parallelism + " reads of " + size + " bytes");
        }
    }

    @Test
    void filesOfAChunkOrMoreAreWrittenAroundThePageCache() throws Exception {
        String type = Files.getFileStore(tmp).type();
        assertTrue(Set.of("ext4", "xfs", "btrfs").contains(type), "the test's directory is on " + type
                + ", not a disk file system that takes O_DIRECT");
        long large = contents.values().stream().filter(b -> b.length >= SMALL_CHUNKS.chunkSize()).count();
        assertTrue(large >= 2, "files of a chunk or more: " + large);
        Cloner onDisk = cloner(SMALL_CHUNKS);
        assertEquals(List.of(), onDisk.run("media", manifest(), tmp.resolve("copy")).failures());
        assertEquals(large, onDisk.writtenDirectly());
        for (Map.Entry<String, byte[]> e : contents.entrySet()) {
            assertArrayEquals(e.getValue(), Files.readAllBytes(tmp.resolve("copy").resolve(e.getKey())), e.getKey());
        }
    }

    @Test
    void copiesTreeBytesTimesAndTagsExactly() throws Exception {
        Path dest = tmp.resolve("copy");
        Cloner cloner = cloner(SMALL_CHUNKS);
        Cloner.Report r = cloner.run("media", manifest(), dest);
        assertEquals(List.of(), r.failures());
        long total = contents.values().stream().mapToLong(b -> b.length).sum();
        assertEquals(new Cloner.Progress(contents.size(), contents.size(), total, total), cloner.progress());
        assertEquals(contents.size(), r.files());
        assertEquals(contents.size(), r.copied());
        assertTrue(r.xattrs());
        for (Map.Entry<String, byte[]> e : contents.entrySet()) {
            Path f = dest.resolve(e.getKey());
            assertArrayEquals(e.getValue(), Files.readAllBytes(f), e.getKey());
            assertEquals(origin.get(e.getKey()).lastModified().toEpochMilli(), Files.getLastModifiedTime(f).toMillis());
            assertTrue(Files.isWritable(f), "a writable copy");
        }
        UserDefinedFileAttributeView view = Files.getFileAttributeView(dest.resolve("dir/b.bin"),
                UserDefinedFileAttributeView.class);
        ByteBuffer v = ByteBuffer.allocate(16);
        view.read("azindex.tier", v);
        assertEquals("hot", new String(v.array(), 0, v.position(), StandardCharsets.UTF_8));
        assertEquals(List.of(), Files.getFileAttributeView(dest.resolve("a.txt"), UserDefinedFileAttributeView.class)
                .list());
        assertEquals(DIR_MTIME, Files.getLastModifiedTime(dest).toMillis());
        assertEquals(DIR_MTIME + 2000, Files.getLastModifiedTime(dest.resolve("dir/sub")).toMillis());
        assertTrue(Files.isDirectory(dest.resolve("empty-dir")));
        try (Stream<Path> all = Files.walk(dest)) {
            assertEquals(List.of(), all.filter(p -> p.getFileName().toString().endsWith(".part")
                    || p.getFileName().toString().equals(CloneJournal.NAME)).toList(), "no .part files or journal left");
        }
    }

    @Test
    void md5MismatchLeavesTheFileOutAndReportsIt() throws Exception {
        List<ManifestEntry> m = new ArrayList<>();
        for (ManifestEntry e : manifest()) {
            m.add(e.path().equals("a.txt") ? new ManifestEntry(e.path(), false, e.size(), e.mtimeMillis(), e.etag(),
                    "00000000000000000000000000000000", null) : e);
        }
        Path dest = tmp.resolve("copy");
        Cloner.Report r = cloner(SMALL_CHUNKS).run("media", m, dest);
        assertEquals(1, r.failures().size(), r.failures().toString());
        assertTrue(r.failures().get(0).startsWith("a.txt: MD5 "), r.failures().get(0));
        assertFalse(Files.exists(dest.resolve("a.txt")));
        assertFalse(Files.exists(dest.resolve("a.txt.part")));
        assertTrue(Files.exists(dest.resolve(CloneJournal.NAME)), "the journal stays for a resume");
    }

    @Test
    void aChangedVersionFailsInsteadOfMixingBytes() throws Exception {
        List<ManifestEntry> m = manifest();
        origin.put("big.bin", new byte[1_000_003]); // a new version after the manifest was taken
        Cloner.Report r = cloner(SMALL_CHUNKS).run("media", m, tmp.resolve("copy"));
        assertEquals(1, r.failures().size(), r.failures().toString());
        assertTrue(r.failures().get(0).startsWith("big.bin: "), r.failures().get(0));
        assertFalse(Files.exists(tmp.resolve("copy/big.bin")));
    }

    @Test
    void resumesAnInterruptedCloneCopyingOnlyWhatIsMissing() throws Exception {
        Path dest = tmp.resolve("copy");
        failing.add("big.bin");
        failing.add("dir/sub/c.bin");
        Cloner.Report first = cloner(SMALL_CHUNKS).run("media", manifest(), dest);
        assertEquals(2, first.failures().size());
        Files.writeString(dest.resolve("big.bin.part"), "leftover of a killed run");
        failing.clear();
        opens.clear();

        Cloner.Report second = cloner(SMALL_CHUNKS).run("media", manifest(), dest);
        assertEquals(List.of(), second.failures());
        assertEquals(contents.size() - 2, second.resumed());
        assertEquals(2, second.copied());
        assertEquals(Set.of("big.bin", "dir/sub/c.bin"), opens.keySet(), "only the missing files were read");
        for (Map.Entry<String, byte[]> e : contents.entrySet()) {
            assertArrayEquals(e.getValue(), Files.readAllBytes(dest.resolve(e.getKey())), e.getKey());
        }
        assertFalse(Files.exists(dest.resolve(CloneJournal.NAME)), "a complete clone drops its journal");
        assertFalse(Files.exists(dest.resolve("big.bin.part")));
    }

    @Test
    void aResumeOfAnotherSourceIsRefused() throws Exception {
        Path dest = tmp.resolve("copy");
        failing.add("a.txt");
        cloner(SMALL_CHUNKS).run("media", manifest(), dest);
        CloneException e = assertThrows(CloneException.class, () -> cloner(SMALL_CHUNKS).run("other", manifest(), dest));
        assertTrue(e.getMessage().contains("holds an interrupted clone of media"), e.getMessage());
    }

    @Test
    void refusalsWriteNothing() throws Exception {
        Path full = Files.createDirectories(tmp.resolve("full"));
        Files.writeString(full.resolve("keep.txt"), "mine");
        CloneException notEmpty = assertThrows(CloneException.class,
                () -> cloner(SMALL_CHUNKS).run("media", manifest(), full));
        assertTrue(notEmpty.getMessage().contains("is not empty (1 entries)") && notEmpty.getMessage().contains("--force"),
                notEmpty.getMessage());
        try (Stream<Path> s = Files.list(full)) {
            assertEquals(List.of(full.resolve("keep.txt")), s.toList());
        }

        Path inMirror = tmp.resolve("mirror/sub/dest");
        CloneException mirror = assertThrows(CloneException.class,
                () -> cloner(SMALL_CHUNKS).run("media", manifest(), inMirror));
        assertTrue(mirror.getMessage().contains("is inside the cloudmirror mount " + tmp.resolve("mirror")),
                mirror.getMessage());
        assertFalse(Files.exists(tmp.resolve("mirror")));

        long total = contents.values().stream().mapToLong(b -> b.length).sum();
        Cloner tight = new Cloner(source, pool, SMALL_CHUNKS, List.of(), p -> total - 1);
        Path small = tmp.resolve("small");
        CloneException space = assertThrows(CloneException.class, () -> tight.run("media", manifest(), small));
        assertTrue(space.getMessage().contains("lacks space: the clone needs " + total + " bytes"), space.getMessage());
        assertFalse(Files.exists(small));
        assertTrue(opens.isEmpty(), "nothing was read");
    }

    @Test
    void forceClonesIntoANonEmptyDirectoryKeepingOtherFiles() throws Exception {
        Path full = Files.createDirectories(tmp.resolve("full"));
        Files.writeString(full.resolve("keep.txt"), "mine");
        Files.writeString(full.resolve("a.txt"), "stale");
        Cloner.Report r = cloner(new Cloner.Options(2, 64 * 1024, true)).run("media", manifest(), full);
        assertEquals(List.of(), r.failures());
        assertEquals(0, r.resumed(), "files already there are not trusted without a journal");
        assertArrayEquals(contents.get("a.txt"), Files.readAllBytes(full.resolve("a.txt")));
        assertEquals("mine", Files.readString(full.resolve("keep.txt")));
    }
}
