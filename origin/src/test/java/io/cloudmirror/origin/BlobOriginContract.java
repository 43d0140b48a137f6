package io.cloudmirror.origin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link BlobOrigin} must show, run against each implementation by subclassing (see
 * {@code InMemoryOriginContractTest}, {@code AzureBlobOriginContractIT}). Each test gets a fresh, empty
 * container ({@link #createContainer()}), changes it behind the origin's back through {@link #put} and
 * {@link #delete}, and observes it through origins from {@link #newOrigin(boolean)}.
 *
 * <p>Shipped in the origin test-jar so that future origins (and other modules) reuse it.
 */
public abstract class BlobOriginContract {

    /**
     * What a put stored, as the store reported it.
     *
     * @param etag         the new version's ETag, spelled as the origin's listing spells it
     * @param lastModified the new version's last-modified time
     */
    public record Stored(String etag, Instant lastModified) {
    }

    /** Creates a fresh, empty container that the following calls work on; called before each test. */
    protected abstract void createContainer() throws Exception;

    /** A new origin over the current container that lists index tags iff {@code includeTags}. */
    protected abstract BlobOrigin newOrigin(boolean includeTags) throws Exception;

    /** Creates or overwrites blob {@code name} in the current container, with user metadata and index tags. */
    protected abstract Stored put(String name, byte[] content, Map<String, String> metadata, Map<String, String> tags)
            throws Exception;

    /** Deletes blob {@code name} from the current container. */
    protected abstract void delete(String name) throws Exception;

    /** Puts many blobs without metadata or tags; override to do it in parallel. */
    protected void putAll(Map<String, byte[]> blobs) throws Exception {
        for (Map.Entry<String, byte[]> e : blobs.entrySet()) {
            put(e.getKey(), e.getValue(), Map.of(), Map.of());
        }
    }

    /** Disposes of the current container; called after each test (after its origins are closed). */
    protected void dropContainer() throws Exception {
    }

    /** Whether listings carry the Content-MD5 of blobs stored by {@link #put}. */
    protected boolean listsContentMd5() {
        return true;
    }

    /** Whether the store keeps user metadata ({@link #put}'s {@code metadata}); else listings show none. */
    protected boolean storesMetadata() {
        return true;
    }

    /** Whether the store keeps index tags ({@link #put}'s {@code tags}); else listings show none. */
    protected boolean storesTags() {
        return true;
    }

    /**
     * Whether a directory can be a blob: a name ending in {@code /} or ADLS Gen2 {@code hdi_isfolder} metadata
     * (object stores). In a file tree (commons-vfs sources), putting {@code dir/} makes a directory, which is
     * walked but never listed.
     */
    protected boolean listsDirectoryMarkers() {
        return true;
    }

    /**
     * Whether {@code a} and {@code a/b} can both be blobs. Object stores allow it; a file tree cannot hold a
     * file and a directory of the same name.
     */
    protected boolean nameMayBeFileAndDirectory() {
        return true;
    }

    private final List<BlobOrigin> opened = new ArrayList<>();

    @BeforeEach
    public final void contractSetUp() throws Exception {
        createContainer();
    }

    @AfterEach
    public final void contractTearDown() throws Exception {
        for (BlobOrigin o : opened) {
            o.close();
        }
        opened.clear();
        dropContainer();
    }

    /** An origin from {@link #newOrigin(boolean)} that the suite closes after the test. */
    protected final BlobOrigin origin(boolean includeTags) throws Exception {
        BlobOrigin o = newOrigin(includeTags);
        opened.add(o);
        return o;
    }

    // ---------------------------------------------------------------------------------------- listing

    @Test
    public void listingReportsEveryBlobWithItsProperties() throws Exception {
        Map<String, Expected> expected = new TreeMap<>();
        expected.put("a.txt", expect("a.txt", bytes(5_000, 1), Map.of("owner", "alice", "MixedCase", "kept as put"),
                Map.of("project", "mirror", "path", "a b+c-d.e/f:g=h_i")));
        expected.put("dir/b.bin", expect("dir/b.bin", bytes(1, 2), Map.of(), Map.of()));
        expected.put("dir/sub/c", expect("dir/sub/c", new byte[0], Map.of("empty", "yes"), Map.of("k", "v")));
        expected.put("other/d", expect("other/d", bytes(70_001, 3), Map.of(), Map.of("only", "tags")));

        for (boolean tags : new boolean[] {true, false}) {
            Map<String, BlobItem> listed = listAll(origin(tags), "");
            assertEquals(expected.keySet(), listed.keySet(), "names listed (tags " + tags + ")");
            for (Expected e : expected.values()) {
                assertItem(e, listed.get(e.name), tags);
            }
        }
    }

    @Test
    public void listingHonoursPrefix() throws Exception {
        for (String name : List.of("a.txt", "a/1", "a/2", "ab", "b/a", "dir/", "dir/x", "dirt")) {
            put(name, name.getBytes(StandardCharsets.UTF_8), Map.of(), Map.of());
        }
        BlobOrigin origin = origin(true);
        Set<String> all = markers("a.txt", "a/1", "a/2", "ab", "b/a", "dir/", "dir/x", "dirt");
        assertEquals(all, listAll(origin, null).keySet(), "null prefix");
        assertEquals(all, listAll(origin, "").keySet(), "empty prefix");
        assertEquals(Set.of("a.txt", "a/1", "a/2", "ab"), listAll(origin, "a").keySet());
        assertEquals(Set.of("a/1", "a/2"), listAll(origin, "a/").keySet());
        assertEquals(markers("dir/", "dir/x"), listAll(origin, "dir/").keySet());
        assertEquals(markers("dir/", "dir/x", "dirt"), listAll(origin, "dir").keySet());
        assertEquals(Set.of("a/2"), listAll(origin, "a/2").keySet());
        assertEquals(Set.of(), listAll(origin, "zz").keySet());
        assertEquals(Set.of(), listAll(origin, "A").keySet(), "prefixes are case-sensitive");
    }

    @Test
    public void directoryMarkersAreRecognised() throws Exception {
        if (!listsDirectoryMarkers()) {
            directoriesAreWalkedNotListed();
            return;
        }
        put("folder/", new byte[0], Map.of(), Map.of());
        put("folder/inside", bytes(10, 4), Map.of(), Map.of());
        put("adls-dir", new byte[0], Map.of(BlobItem.HDI_ISFOLDER, "true"), Map.of());
        put("adls-file", bytes(3, 5), Map.of(BlobItem.HDI_ISFOLDER, "false"), Map.of());
        put("plain", bytes(3, 6), Map.of("other", "true"), Map.of());
        Map<String, BlobItem> listed = listAll(origin(false), "");
        assertEquals(Set.of("folder/", "folder/inside", "adls-dir", "adls-file", "plain"), listed.keySet());
        assertTrue(listed.get("folder/").isDirectoryMarker(), "name ending in /");
        assertTrue(listed.get("adls-dir").isDirectoryMarker(), "hdi_isfolder=true");
        assertEquals(Map.of(BlobItem.HDI_ISFOLDER, "true"), listed.get("adls-dir").metadata());
        assertFalse(listed.get("folder/inside").isDirectoryMarker());
        assertFalse(listed.get("adls-file").isDirectoryMarker(), "hdi_isfolder=false");
        assertFalse(listed.get("plain").isDirectoryMarker());
    }

    /** For file trees: a directory, even an empty one, is no blob; empty files are files. */
    private void directoriesAreWalkedNotListed() throws Exception {
        put("folder/", new byte[0], Map.of(), Map.of());
        put("folder/inside", bytes(10, 4), Map.of(), Map.of());
        put("empty-dir/", new byte[0], Map.of(), Map.of());
        put("deep/er/still/", new byte[0], Map.of(), Map.of());
        put("adls-dir", new byte[0], Map.of(), Map.of());
        Map<String, BlobItem> listed = listAll(origin(false), "");
        assertEquals(Set.of("folder/inside", "adls-dir"), listed.keySet());
        assertFalse(listed.get("adls-dir").isDirectoryMarker(), "an empty file is a file");
        assertEquals(0, listed.get("adls-dir").size());
    }

    /** {@code names} without the directory markers, for stores that do not list directories. */
    private Set<String> markers(String... names) {
        Set<String> out = new TreeSet<>(List.of(names));
        if (!listsDirectoryMarkers()) {
            out.removeIf(n -> n.endsWith("/"));
        }
        return out;
    }

    @Test
    public void overwriteIsListedAsANewVersion() throws Exception {
        Stored v1 = put("doc", bytes(100, 7), Map.of("rev", "1"), Map.of("rev", "1"));
        BlobOrigin origin = origin(true);
        BlobItem before = listAll(origin, "").get("doc");
        assertEquals(v1.etag(), before.etag());

        Expected v2 = expect("doc", bytes(250, 8), Map.of("rev", "2", "extra", "x"), Map.of("rev", "2"));
        BlobItem after = listAll(origin, "").get("doc");
        assertNotEquals(before.etag(), after.etag(), "an overwrite must change the ETag");
        assertItem(v2, after, true);
    }

    @Test
    public void deletedBlobIsNoLongerListed() throws Exception {
        put("keep", bytes(10, 9), Map.of(), Map.of());
        put("gone", bytes(10, 10), Map.of(), Map.of());
        BlobOrigin origin = origin(false);
        assertEquals(Set.of("keep", "gone"), listAll(origin, "").keySet());
        delete("gone");
        assertEquals(Set.of("keep"), listAll(origin, "").keySet());
    }

    @Test
    public void largeListingCrossingPagesIsComplete() throws Exception {
        int n = 6_000; // Azure pages listings at 5,000
        Map<String, byte[]> blobs = new HashMap<>();
        for (int i = 0; i < n; i++) {
            String name = String.format("many/%05d", i);
            blobs.put(name, Integer.toString(i).getBytes(StandardCharsets.US_ASCII));
        }
        putAll(blobs);
        BlobOrigin origin = origin(true);
        AtomicInteger calls = new AtomicInteger();
        Map<String, BlobItem> listed = new HashMap<>();
        origin.list("", item -> {
            calls.incrementAndGet();
            assertNull(listed.put(item.name(), item), "listed twice: " + item.name());
        });
        assertEquals(n, calls.get(), "items handed to the sink");
        assertEquals(blobs.keySet(), listed.keySet());
        for (Map.Entry<String, byte[]> e : blobs.entrySet()) {
            assertEquals(e.getValue().length, listed.get(e.getKey()).size(), e.getKey());
        }
        assertEquals(1_000, listAll(origin, "many/01").size(), "prefix within a large container");
        assertEquals(1, listAll(origin, "many/05999").size());
    }

    @Test
    public void unicodeAndOddNamesRoundTripExactly() throws Exception {
        String nfc = Normalizer.normalize("caf\u00e9", Normalizer.Form.NFC);
        String nfd = Normalizer.normalize("caf\u00e9", Normalizer.Form.NFD);
        assertNotEquals(nfc, nfd);
        String inside = nameMayBeFileAndDirectory() ? "/inside" : " dir/inside";
        List<String> names = List.of(
                "with space.txt",
                "dir with spaces/file name",
                "hash#fragment",
                "percent%41encoded",
                "percent%",
                "100%25",
                "question?mark=1&and=2",
                "plus+sign",
                "semi;colon,comma",
                "brackets[0](1){2}",
                "quote'apostrophe",
                "at@dollar$excl!",
                "tilde~caret^",
                "\u65e5\u672c\u8a9e/\u30d5\u30a1\u30a4\u30eb.txt",
                "emoji-\uD83D\uDE00.bin",
                "\u00fcmlaut/\u00c4\u00d6\u00dc\u00df",
                nfc,
                nfd,
                nfc + inside,
                nfd + inside);
        for (String name : names) {
            put(name, name.getBytes(StandardCharsets.UTF_8), Map.of(), Map.of());
        }
        BlobOrigin origin = origin(false);
        Map<String, BlobItem> listed = listAll(origin, "");
        assertEquals(new TreeSet<>(names), new TreeSet<>(listed.keySet()), "names must come back exactly");
        for (String name : names) {
            byte[] want = name.getBytes(StandardCharsets.UTF_8);
            BlobItem item = listed.get(name);
            assertEquals(want.length, item.size(), name);
            assertArrayEquals(want, read(origin, name, item.etag(), 0, want.length + 10), "content of " + name);
        }
        assertEquals(Set.of(nfd, nfd + inside), listAll(origin, "cafe").keySet(), "NFD prefix");
        assertEquals(Set.of(nfc, nfc + inside), listAll(origin, nfc).keySet(), "NFC prefix");
        assertEquals(Set.of("percent%41encoded", "percent%"), listAll(origin, "percent%").keySet());
        assertEquals(Set.of("\u65e5\u672c\u8a9e/\u30d5\u30a1\u30a4\u30eb.txt"),
                listAll(origin, "\u65e5\u672c\u8a9e/").keySet());
    }

    @Test
    public void sinkFailureAbortsTheListing() throws Exception {
        for (String name : List.of("x1", "x2", "x3")) {
            put(name, bytes(1, 11), Map.of(), Map.of());
        }
        BlobOrigin origin = origin(false);
        AtomicInteger calls = new AtomicInteger();
        IOException boom = new IOException("sink is full");
        OriginException e = assertThrows(OriginException.class, () -> origin.list("", item -> {
            calls.incrementAndGet();
            throw boom;
        }));
        assertEquals(1, calls.get(), "no item after the sink failed");
        assertTrue(causedBy(e, boom), "the sink's exception must be the cause: " + e);

        OriginException own = new OriginException.Unreachable("sink gave up", null);
        OriginException thrown = assertThrows(OriginException.class, () -> origin.list("", item -> {
            throw own;
        }));
        assertSame(own, thrown, "an OriginException from the sink propagates as is");

        // An unchecked failure of the caller (say, its cache disk) is not an origin failure: it must not
        // surface as an OriginException (which would set BACKENDCONNECTION) but propagate unchanged.
        java.io.UncheckedIOException unchecked = new java.io.UncheckedIOException(new IOException("disk full"));
        RuntimeException rt = assertThrows(RuntimeException.class, () -> origin.list("", item -> {
            throw unchecked;
        }));
        assertSame(unchecked, rt, "an unchecked exception from the sink propagates as is");
    }

    // ---------------------------------------------------------------------------------------- reads

    @Test
    public void rangedReadsReturnExactBytes() throws Exception {
        byte[] content = bytes(1_000_003, 12);
        put("big.bin", content, Map.of(), Map.of());
        BlobOrigin origin = origin(false);
        String etag = listAll(origin, "").get("big.bin").etag();
        int size = content.length;

        assertArrayEquals(slice(content, 0, 100), read(origin, "big.bin", etag, 0, 100), "start");
        assertArrayEquals(slice(content, 1, 1), read(origin, "big.bin", etag, 1, 1), "one byte");
        assertArrayEquals(slice(content, 500_000, 4096), read(origin, "big.bin", etag, 500_000, 4096), "middle");
        assertArrayEquals(slice(content, size - 100, 100), read(origin, "big.bin", etag, size - 100, 100), "end");
        assertArrayEquals(slice(content, size - 1, 1), read(origin, "big.bin", etag, size - 1, 1), "last byte");
        assertArrayEquals(content, read(origin, "big.bin", etag, 0, size), "whole blob in one read");
    }

    @Test
    public void readPastTheEndReturnsTheRemainingBytes() throws Exception {
        byte[] content = bytes(10_000, 13);
        put("f", content, Map.of(), Map.of());
        BlobOrigin origin = origin(false);
        String etag = listAll(origin, "").get("f").etag();

        ByteBuffer dst = ByteBuffer.allocate(200);
        assertEquals(50, origin.read("f", etag, 9_950, dst));
        assertEquals(50, dst.position());
        assertArrayEquals(slice(content, 9_950, 50), Arrays.copyOf(dst.array(), 50));
        assertArrayEquals(content, read(origin, "f", etag, 0, 20_000), "whole blob into a larger buffer");
    }

    @Test
    public void readAtOrBeyondTheEndReturnsZero() throws Exception {
        byte[] content = bytes(4_096, 14);
        put("f", content, Map.of(), Map.of());
        BlobOrigin origin = origin(false);
        String etag = listAll(origin, "").get("f").etag();
        for (long offset : new long[] {4_096, 4_097, 1_000_000}) {
            ByteBuffer dst = ByteBuffer.allocate(64);
            assertEquals(0, origin.read("f", etag, offset, dst), "offset " + offset);
            assertEquals(0, dst.position(), "nothing written at offset " + offset);
        }
    }

    @Test
    public void zeroLengthBlob() throws Exception {
        Stored s = put("empty", new byte[0], Map.of(), Map.of());
        BlobOrigin origin = origin(false);
        BlobItem item = listAll(origin, "").get("empty");
        assertEquals(0, item.size());
        assertEquals(s.etag(), item.etag());
        assertFalse(item.isDirectoryMarker());
        if (item.contentMd5() != null) {
            assertArrayEquals(InMemoryOrigin.md5(new byte[0]), item.contentMd5());
        }
        ByteBuffer dst = ByteBuffer.allocate(16);
        assertEquals(0, origin.read("empty", item.etag(), 0, dst));
        assertEquals(0, origin.read("empty", item.etag(), 5, dst));
        assertEquals(0, dst.position());
    }

    @Test
    public void readFillsTheBufferFromItsPositionToItsLimit() throws Exception {
        byte[] content = bytes(300, 15);
        put("f", content, Map.of(), Map.of());
        BlobOrigin origin = origin(false);
        String etag = listAll(origin, "").get("f").etag();

        ByteBuffer heap = ByteBuffer.allocate(100);
        heap.position(10).limit(60);
        assertEquals(50, origin.read("f", etag, 7, heap));
        assertEquals(60, heap.position());
        assertArrayEquals(new byte[10], Arrays.copyOfRange(heap.array(), 0, 10), "bytes before position untouched");
        assertArrayEquals(slice(content, 7, 50), Arrays.copyOfRange(heap.array(), 10, 60));
        assertArrayEquals(new byte[40], Arrays.copyOfRange(heap.array(), 60, 100), "bytes after limit untouched");

        ByteBuffer direct = ByteBuffer.allocateDirect(256);
        direct.position(6);
        assertEquals(250, origin.read("f", etag, 0, direct), "direct buffer");
        byte[] got = new byte[250];
        direct.flip().position(6);
        direct.get(got);
        assertArrayEquals(slice(content, 0, 250), got);
    }

    @Test
    public void concurrentReadsAreIndependent() throws Exception {
        byte[] content = bytes(262_144, 16);
        put("shared", content, Map.of(), Map.of());
        BlobOrigin origin = origin(false);
        String etag = listAll(origin, "").get("shared").etag();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                long seed = t;
                futures.add(pool.submit(() -> {
                    Random rnd = new Random(seed);
                    for (int i = 0; i < 15; i++) {
                        int offset = rnd.nextInt(content.length);
                        int len = 1 + rnd.nextInt(20_000);
                        byte[] got = read(origin, "shared", etag, offset, len);
                        assertArrayEquals(slice(content, offset, Math.min(len, content.length - offset)), got,
                                "range " + offset + "+" + len);
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    public void scatterReadFillsBuffersInTurn() throws Exception {
        byte[] content = bytes(2 * 65_536 + 60 + 1_000, 21);
        put("f", content, Map.of(), Map.of());
        BlobOrigin origin = origin(false);
        String etag = listAll(origin, "").get("f").etag();

        ByteBuffer[] dsts = {ByteBuffer.allocate(65_536), ByteBuffer.allocateDirect(65_536), ByteBuffer.allocate(100),
            ByteBuffer.allocate(65_536), ByteBuffer.allocate(10)};
        dsts[2].position(40);
        long n = origin.read("f", etag, 0, dsts);
        assertEquals(content.length, n, "every byte of the blob, across the buffers");
        assertEquals(65_536, dsts[0].position());
        assertEquals(65_536, dsts[1].position());
        assertEquals(100, dsts[2].position(), "the third buffer is filled from its position");
        assertEquals(1_000, dsts[3].position(), "the blob ends in the fourth buffer");
        assertEquals(0, dsts[4].position(), "nothing after the end");
        byte[] got = new byte[content.length];
        System.arraycopy(dsts[0].array(), 0, got, 0, 65_536);
        dsts[1].flip().get(got, 65_536, 65_536);
        System.arraycopy(dsts[2].array(), 40, got, 2 * 65_536, 60);
        System.arraycopy(dsts[3].array(), 0, got, 2 * 65_536 + 60, dsts[3].position());
        assertArrayEquals(content, got);

        ByteBuffer[] middle = {ByteBuffer.allocate(3), ByteBuffer.allocate(5)};
        assertEquals(8, origin.read("f", etag, 1_000, middle));
        assertArrayEquals(slice(content, 1_000, 3), middle[0].array());
        assertArrayEquals(slice(content, 1_003, 5), middle[1].array());
        assertEquals(0, origin.read("f", etag, content.length, new ByteBuffer[] {ByteBuffer.allocate(4)}), "at the end");
    }

    @Test
    public void readPinnedToAnOverwrittenVersionIsVersionGone() throws Exception {
        byte[] v1 = bytes(2_000, 17);
        byte[] v2 = bytes(2_000, 18);
        put("f", v1, Map.of(), Map.of());
        BlobOrigin origin = origin(false);
        String etag1 = listAll(origin, "").get("f").etag();
        assertArrayEquals(slice(v1, 100, 100), read(origin, "f", etag1, 100, 100));

        put("f", v2, Map.of(), Map.of());
        assertThrows(OriginException.VersionGone.class, () -> origin.read("f", etag1, 0, ByteBuffer.allocate(10)));
        assertThrows(OriginException.VersionGone.class,
                () -> origin.read("f", etag1, 1_000, ByteBuffer.allocate(10)), "mid-blob read of the old version");
        String etag2 = listAll(origin, "").get("f").etag();
        assertNotEquals(etag1, etag2);
        assertArrayEquals(v2, read(origin, "f", etag2, 0, v2.length), "the new version reads fine");
    }

    @Test
    public void readPinnedToADeletedBlobIsVersionGone() throws Exception {
        put("f", bytes(500, 19), Map.of(), Map.of());
        BlobOrigin origin = origin(false);
        String etag = listAll(origin, "").get("f").etag();
        delete("f");
        assertThrows(OriginException.VersionGone.class, () -> origin.read("f", etag, 0, ByteBuffer.allocate(10)));
    }

    @Test
    public void readOfAnUnknownBlobOrVersionIsVersionGone() throws Exception {
        Stored s = put("f", bytes(500, 20), Map.of(), Map.of());
        BlobOrigin origin = origin(false);
        String bogus = s.etag().startsWith("\"") ? "\"0x8D000000DEADBEE\"" : "0x8D000000DEADBEE";
        assertThrows(OriginException.VersionGone.class, () -> origin.read("f", bogus, 0, ByteBuffer.allocate(10)));
        assertThrows(OriginException.VersionGone.class,
                () -> origin.read("never-existed", s.etag(), 0, ByteBuffer.allocate(10)));
    }

    // ---------------------------------------------------------------------------------------- probe

    @Test
    public void probeIsConnected() throws Exception {
        BlobOrigin origin = origin(true);
        Probe empty = origin.probe();
        assertEquals(BackendConnection.CONNECTED, empty.connection(), empty.detail());
        assertEquals("", empty.detail());
        put("x", bytes(1, 21), Map.of(), Map.of());
        assertEquals(Probe.connected(), origin.probe());
        assertFalse(origin.displayName().isBlank(), "displayName");
    }

    // ---------------------------------------------------------------------------------------- helpers

    /** A blob put by the test and what a listing must say about it. */
    protected record Expected(String name, byte[] content, Stored stored, Map<String, String> metadata,
                              Map<String, String> tags) {
    }

    /** Puts a blob and returns what listings must report for it. */
    protected final Expected expect(String name, byte[] content, Map<String, String> metadata,
                                    Map<String, String> tags) throws Exception {
        return new Expected(name, content, put(name, content, metadata, tags), metadata, tags);
    }

    /** Checks one listed item against what was put. */
    protected final void assertItem(Expected e, BlobItem item, boolean tagsListed) {
        assertNotNull(item, "not listed: " + e.name());
        String what = e.name() + (tagsListed ? " (tags listed)" : " (tags not listed)");
        assertEquals(e.name(), item.name(), what);
        assertEquals(e.content().length, item.size(), "size of " + what);
        assertEquals(e.stored().etag(), item.etag(), "etag of " + what);
        assertEquals(e.stored().lastModified(), item.lastModified(), "lastModified of " + what);
        assertEquals(storesMetadata() ? e.metadata() : Map.of(), item.metadata(), "metadata of " + what);
        assertEquals(tagsListed && storesTags() ? e.tags() : Map.of(), item.tags(), "tags of " + what);
        byte[] md5 = item.contentMd5();
        if (md5 != null) {
            assertArrayEquals(InMemoryOrigin.md5(e.content()), md5, "Content-MD5 of " + what);
        } else if (listsContentMd5()) {
            fail("no Content-MD5 listed for " + what);
        }
    }

    /** Lists {@code prefix} into a name-keyed map, failing on duplicates. */
    protected static Map<String, BlobItem> listAll(BlobOrigin origin, String prefix) throws OriginException {
        Map<String, BlobItem> out = new LinkedHashMap<>();
        origin.list(prefix, item -> {
            if (out.put(item.name(), item) != null) {
                fail("listed twice: " + item.name());
            }
        });
        return out;
    }

    /** Reads up to {@code length} bytes at {@code offset} and returns exactly the bytes read. */
    protected static byte[] read(BlobOrigin origin, String name, String etag, long offset, int length)
            throws OriginException {
        ByteBuffer dst = ByteBuffer.allocate(length);
        int n = origin.read(name, etag, offset, dst);
        assertEquals(n, dst.position(), "returned count vs buffer position");
        return Arrays.copyOf(dst.array(), n);
    }

    /** Deterministic pseudo-random content. */
    protected static byte[] bytes(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] slice(byte[] b, int offset, int length) {
        return Arrays.copyOfRange(b, offset, offset + length);
    }

    private static boolean causedBy(Throwable t, Throwable cause) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c == cause) {
                return true;
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return false;
    }
}
