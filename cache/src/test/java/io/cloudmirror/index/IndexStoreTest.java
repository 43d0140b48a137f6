package io.cloudmirror.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cloudmirror.origin.BlobItem;
import io.cloudmirror.origin.InMemoryOrigin;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IndexStoreTest {

    @TempDir
    Path tmp;

    private final InMemoryOrigin origin = new InMemoryOrigin();

    private GenerationStats sync(IndexStore store) throws IOException {
        try (GenerationBuilder b = store.newBuilder()) {
            origin.list("", b::add);
            return store.publish(b.build(Instant.now()));
        }
    }

    private static List<String> names(Generation g, String dir) {
        List<String> out = new ArrayList<>();
        g.forEachChild(g.lookup(dir), 0, (slot, c) -> out.add(c.name()));
        return out;
    }

    @Test
    void buildsTreeFromPrefixesAndMarkers() throws IOException {
        origin.put("a/b/c.txt", "c");
        origin.put("a/d.txt", "dd");
        origin.put("top.txt", "top");
        origin.put("empty-marker/", new byte[0]);
        origin.put("adls-dir", new byte[0], Map.of("hdi_isfolder", "true"), Map.of());
        try (IndexStore store = IndexStore.open(tmp, "vol")) {
            GenerationStats stats = sync(store);
            assertEquals(3, stats.files());
            assertEquals(5, stats.directories()); // root, a, a/b, empty-marker, adls-dir
            assertEquals(6, stats.bytes());
            Generation g = store.acquire();
            try {
                assertEquals(new TreeSet<>(List.of("a", "top.txt", "empty-marker", "adls-dir")),
                        new TreeSet<>(names(g, "")));
                assertEquals(new TreeSet<>(List.of("b", "d.txt")), new TreeSet<>(names(g, "a")));
                Node c = g.lookup("a/b/c.txt");
                assertEquals(NodeKind.FILE, c.kind());
                assertEquals(1, c.size());
                assertEquals(origin.get("a/b/c.txt").etag(), c.etag());
                Node a = g.lookup("a");
                assertTrue(a.isDirectory());
                assertEquals(3, a.nlink());
                assertEquals(2, a.childCount());
                assertTrue(g.lookup("empty-marker").isDirectory());
                assertEquals(0, g.lookup("empty-marker").childCount());
                assertTrue(g.lookup("adls-dir").isDirectory());
                assertNull(g.lookup("missing"));
                assertEquals(5, g.lookup("").nlink());
            } finally {
                g.release();
            }
        }
    }

    @Test
    void skipsNamesThatCannotBePathsAndCountsThem() throws IOException {
        origin.put("ok.txt", "x");
        origin.put("/leading", "x");
        origin.put("a//b", "x");
        origin.put("a/./b", "x");
        origin.put("a/../b", "x");
        origin.put("x".repeat(256), "x");
        origin.put("nul\0name", "x");
        origin.put("file", "shadowed");
        origin.put("file/inside", "wins");
        try (IndexStore store = IndexStore.open(tmp, "vol")) {
            GenerationStats stats = sync(store);
            assertEquals(2, stats.files());
            assertEquals(2, stats.skipped().get(SkipReason.EMPTY_COMPONENT));
            assertEquals(2, stats.skipped().get(SkipReason.DOT_COMPONENT));
            assertEquals(1, stats.skipped().get(SkipReason.COMPONENT_TOO_LONG));
            assertEquals(1, stats.skipped().get(SkipReason.NUL_CHARACTER));
            assertEquals(1, stats.skipped().get(SkipReason.SHADOWED_BY_DIRECTORY));
            assertEquals(7, stats.skippedTotal());
            assertEquals(1 + 4, stats.bytes()); // ok.txt and file/inside
            Generation g = store.acquire();
            try {
                assertTrue(g.lookup("file").isDirectory());
                assertEquals(List.of("inside"), names(g, "file"));
                assertEquals(new TreeSet<>(List.of("ok.txt", "file")), new TreeSet<>(names(g, "")));
            } finally {
                g.release();
            }
        }
    }

    @Test
    void fileListedBeforeItsDirectoryIsReplacedInPlace() throws IOException {
        // Feed the builder directly so the file comes first, whatever the origin's order.
        try (IndexStore store = IndexStore.open(tmp, "vol")) {
            GenerationStats stats;
            try (GenerationBuilder b = store.newBuilder()) {
                b.add(item("dir", 5));
                b.add(item("other", 1));
                b.add(item("dir/child", 3));
                stats = store.publish(b.build(Instant.now()));
            }
            assertEquals(2, stats.files());
            assertEquals(4, stats.bytes());
            assertEquals(1, stats.skipped().get(SkipReason.SHADOWED_BY_DIRECTORY));
            Generation g = store.acquire();
            try {
                Node root = g.lookup("");
                assertEquals(2, root.childCount());
                assertEquals(1, root.subdirCount());
                List<ChildEntry> entries = new ArrayList<>();
                g.forEachChild(root, 0, (slot, c) -> entries.add(c));
                assertEquals(NodeKind.DIRECTORY, entries.get(0).kind());
                assertEquals("dir", entries.get(0).name());
                assertEquals(g.lookup("dir").inode(), entries.get(0).inode());
            } finally {
                g.release();
            }
        }
    }

    @Test
    void inodesAreStableAcrossSyncsAndRestarts() throws IOException {
        origin.put("a/b.txt", "1");
        origin.put("c.txt", "2");
        long ab;
        long c;
        try (IndexStore store = IndexStore.open(tmp, "vol")) {
            sync(store);
            Generation g = store.acquire();
            ab = g.lookup("a/b.txt").inode();
            c = g.lookup("c.txt").inode();
            g.release();
            origin.put("a/b.txt", "changed");
            origin.put("a/new.txt", "new");
            origin.delete("c.txt");
            GenerationStats second = sync(store);
            assertEquals(2, second.number());
            assertEquals(1, second.added());
            assertEquals(1, second.changed());
            assertEquals(1, second.removed());
            g = store.acquire();
            assertEquals(ab, g.lookup("a/b.txt").inode());
            assertNull(g.lookup("c.txt"));
            g.release();
        }
        try (IndexStore store = IndexStore.open(tmp, "vol")) {
            Generation g = store.acquire();
            try {
                assertEquals(2, g.number());
                assertEquals(ab, g.lookup("a/b.txt").inode());
                assertEquals("changed".length(), g.lookup("a/b.txt").size());
            } finally {
                g.release();
            }
        }
        assertNotEquals(ab, c);
        try (IndexStore other = IndexStore.open(tmp.resolve("other"), "other-volume")) {
            origin.put("c.txt", "2");
            sync(other);
            Generation g = other.acquire();
            assertNotEquals(ab, g.lookup("a/b.txt").inode(), "subvolumes have separate inode spaces");
            g.release();
        }
    }

    @Test
    void hugeDirectoryPagesBySlot() throws IOException {
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            origin.put("big/f" + i, new byte[0]);
        }
        try (IndexStore store = IndexStore.open(tmp, "vol")) {
            sync(store);
            Generation g = store.acquire();
            try {
                Node big = g.lookup("big");
                assertEquals(n, big.childCount());
                TreeSet<String> seen = new TreeSet<>();
                int[] from = {0};
                while (from[0] < n) {
                    int start = from[0];
                    g.forEachChild(big, start, (slot, c) -> {
                        seen.add(c.name());
                        from[0] = slot + 1;
                        return slot - start < 999;
                    });
                }
                assertEquals(n, seen.size());
            } finally {
                g.release();
            }
        }
    }

    @Test
    void oldGenerationStaysReadableWhileHeldAndIsDeletedAfter() throws IOException {
        origin.put("v.txt", "one");
        try (IndexStore store = IndexStore.open(tmp, "vol")) {
            sync(store);
            Generation held = store.acquire();
            Path heldDir = held.directory();
            origin.put("v.txt", "three");
            sync(store);
            assertEquals(3, held.lookup("v.txt").size(), "an open handle keeps its generation");
            assertTrue(Files.exists(heldDir));
            held.release();
            assertFalse(Files.exists(heldDir), "a retired generation is deleted with its last handle");
            assertThrows(IllegalStateException.class, () -> held.lookup("v.txt"));
            Generation now = store.acquire();
            assertEquals(5, now.lookup("v.txt").size());
            now.release();
        }
    }

    @Test
    void unpublishedBuildLeavesPublishedTreeAlone() throws IOException {
        origin.put("keep.txt", "k");
        try (IndexStore store = IndexStore.open(tmp, "vol")) {
            sync(store);
            try (GenerationBuilder b = store.newBuilder()) {
                b.add(item("partial.txt", 1));
                // no build: simulates a failed listing
            }
            Generation g = store.acquire();
            assertNotNull(g.lookup("keep.txt"));
            assertNull(g.lookup("partial.txt"));
            g.release();
            try (var entries = Files.list(tmp)) {
                assertEquals(1, entries.filter(p -> p.getFileName().toString().startsWith("gen-")).count());
            }
        }
    }

    @Test
    void crashLeftoversAreIgnoredAndRemovedOnOpen() throws IOException {
        origin.put("keep.txt", "k");
        try (IndexStore store = IndexStore.open(tmp, "vol")) {
            sync(store);
        }
        Files.createDirectories(tmp.resolve("gen-0000000002.tmp"));
        Files.writeString(tmp.resolve("gen-0000000002.tmp/nodes.cm"), "garbage");
        Files.createDirectories(tmp.resolve("gen-0000000002"));
        Files.delete(tmp.resolve("CLEAN"));
        try (IndexStore store = IndexStore.open(tmp, "vol")) {
            Generation g = store.acquire();
            assertEquals(1, g.number());
            assertNotNull(g.lookup("keep.txt"));
            g.release();
            assertFalse(Files.exists(tmp.resolve("gen-0000000002.tmp")));
            assertFalse(Files.exists(tmp.resolve("gen-0000000002")));
        }
    }

    @Test
    void secondProcessCannotOpenTheSameIndex() throws IOException {
        try (IndexStore store = IndexStore.open(tmp, "vol")) {
            IOException e = assertThrows(IOException.class,
                    () -> IndexStore.open(tmp, "vol", java.time.Duration.ofMillis(200)));
            assertTrue(e.getMessage().contains("in use"), e.getMessage());
        }
    }

    @Test
    void tagsAndMd5RoundTrip() throws IOException {
        origin.put("t.bin", "data".getBytes(), Map.of(), Map.of("project", "apollo", "tier", "hot"));
        try (IndexStore store = IndexStore.open(tmp, "vol")) {
            sync(store);
            Generation g = store.acquire();
            Node n = g.lookup("t.bin");
            assertEquals(Map.of("project", "apollo", "tier", "hot"), n.tags());
            assertEquals(16, n.contentMd5().length);
            g.release();
        }
    }

    private static BlobItem item(String name, long size) {
        return new BlobItem(name, size, Instant.parse("2024-01-01T00:00:00Z"), "\"e-" + name + "\"", null, Map.of(),
                Map.of());
    }
}
