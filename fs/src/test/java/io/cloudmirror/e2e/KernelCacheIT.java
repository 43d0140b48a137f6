package io.cloudmirror.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cloudmirror.fuse.FuseAdapter;
import io.cloudmirror.origin.InMemoryOrigin;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kernel caching through a real mount: long entry and attribute timeouts keep lookups in the kernel,
 * and a publish that changes the tree makes the change visible at once.
 */
class KernelCacheIT {

    private static final List<String> LONG_TIMEOUTS = List.of("-o", "ro,default_permissions,use_ino,readdir_ino,"
            + "fsname=test/kernelcache,subtype=cloudmirror,attr_timeout=3600,entry_timeout=3600,negative_timeout=3600");

    @TempDir
    Path tmp;

    /**
     * Callbacks run on threads the JVM started and kept. On libfuse's own native threads, jffi attached and
     * detached the thread around each of its first 1,000 callbacks: thousands of short-lived JVM threads, each
     * with new scratch memory, which made a fresh mount's first lookups cost several times what later ones do.
     */
    @Test
    void requestsAreServedByAFewThreadsAttachedForGood() throws Exception {
        InMemoryOrigin origin = new InMemoryOrigin();
        for (int i = 0; i < 2_000; i++) {
            origin.put("d" + (i % 20) + "/f" + i, "x");
        }
        try (InProcessMount m = new InProcessMount(tmp, origin, "media", "mirrorSubDir", false, LONG_TIMEOUTS)) {
            m.syncer.syncNow();
            for (int i = 0; i < 2_000; i++) {
                assertEquals(1, Files.size(m.mountpoint.resolve("mirrorSubDir/d" + (i % 20) + "/f" + i)));
            }
            assertTrue(m.adapter.requests("lookup") >= 2_000, m.adapter.requests("lookup") + " lookups");
            assertTrue(m.adapter.callbackThreads() <= FuseAdapter.WORKERS,
                    m.adapter.callbackThreads() + " threads ran callbacks, more than the " + FuseAdapter.WORKERS
                            + " workers");
        }
    }

    /**
     * The kernel opens files itself: re-reading a cached file makes no request at all, and since each kernel
     * inode stands for one version, a publish gives the next open the new version while a process holding the
     * old one keeps reading it, with its size.
     */
    @Test
    void reopeningAnUnchangedFileMakesNoRequestAndAHeldOldVersionStaysItself() throws Exception {
        InMemoryOrigin origin = new InMemoryOrigin();
        origin.put("dir/a.txt", "version one");
        try (InProcessMount m = new InProcessMount(tmp, origin, "media", "mirrorSubDir", true, LONG_TIMEOUTS)) {
            m.syncer.syncNow();
            Path a = m.mountpoint.resolve("mirrorSubDir/dir/a.txt");
            assertEquals("version one", Files.readString(a));
            long opens = m.adapter.requests("open");
            assertTrue(opens <= 1, opens + " OPEN requests: the first is answered ENOSYS, and the kernel opens "
                    + "files itself from then on");
            long requests = -1;
            // This machine's memory manager (DAMON pageout) may evict a fresh page at any moment: a pass that
            // still needed a READ is tried again; without keep_cache every pass would need one.
            for (int pass = 0; pass < 3 && requests != 0; pass++) {
                long before = m.adapter.requests("read") + m.adapter.requests("lookup")
                        + m.adapter.requests("getattr");
                for (int i = 0; i < 100; i++) {
                    assertEquals("version one", Files.readString(a));
                }
                requests = m.adapter.requests("read") + m.adapter.requests("lookup") + m.adapter.requests("getattr")
                        - before;
            }
            assertEquals(0, requests, "100 opens and reads of a cached file, none reached the daemon");
            assertEquals(opens, m.adapter.requests("open"));

            try (FileChannel held = FileChannel.open(a)) {
                origin.put("dir/a.txt", "version two, longer");
                m.syncer.syncNow();
                assertEquals("version two, longer", Files.readString(a), "a new open reads the new version");
                assertEquals(11, held.size(), "the held file keeps its version's size");
                ByteBuffer b = ByteBuffer.allocate(100);
                try {
                    held.read(b, 0);
                    assertEquals("version one", new String(b.array(), 0, b.position(), StandardCharsets.UTF_8),
                            "its own version, from the page cache");
                } catch (IOException e) {
                    // The page was evicted, and this origin keeps no old versions: its own version or ESTALE.
                    assertTrue(String.valueOf(e.getMessage()).contains("Stale file handle"), e.toString());
                }
            }
        }
    }

    /** With {@code open_requests}, every open is a request, as on a kernel without zero-message opens. */
    @Test
    void openRequestsMakesEveryOpenARequest() throws Exception {
        InMemoryOrigin origin = new InMemoryOrigin();
        origin.put("a.txt", "one");
        List<String> args = List.of("-o", LONG_TIMEOUTS.get(1) + ",open_requests");
        try (InProcessMount m = new InProcessMount(tmp, origin, "media", "mirrorSubDir", false, args)) {
            m.syncer.syncNow();
            for (int i = 0; i < 20; i++) {
                assertEquals("one", Files.readString(m.mountpoint.resolve("mirrorSubDir/a.txt")));
            }
            assertEquals(20, m.adapter.requests("open"));
        }
    }

    @Test
    void kernelKeepsAttributesUntilInvalidated() throws Exception {
        InMemoryOrigin origin = new InMemoryOrigin();
        origin.put("dir/a.txt", "one");
        try (InProcessMount m = new InProcessMount(tmp, origin, "media", "mirrorSubDir", false, LONG_TIMEOUTS)) {
            m.syncer.syncNow();
            Path a = m.mountpoint.resolve("mirrorSubDir/dir/a.txt");
            Path added = m.mountpoint.resolve("mirrorSubDir/dir/new.txt");
            assertEquals(3, Files.size(a));
            assertFalse(Files.exists(added));
            origin.put("dir/a.txt", "one more time");
            origin.put("dir/new.txt", "new");
            m.syncer.syncNow();
            assertEquals(13, m.fs.getattr("/mirrorSubDir/dir/a.txt").size(), "the core serves the new generation");
            assertEquals(3, Files.size(a), "the kernel still serves its cached attributes: lookups stay in the kernel");
            assertFalse(Files.exists(added), "and its cached negative entry");
            assertTrue(m.adapter.invalidate("mirrorSubDir"));
            assertEquals(13, Files.size(a), "after invalidation the kernel asks again");
            assertTrue(Files.exists(added));
        }
    }

    @Test
    void listingsAndTheirAttributesAreServedByTheKernelUntilAPublishChangesThem() throws Exception {
        InMemoryOrigin origin = new InMemoryOrigin();
        for (int i = 0; i < 300; i++) {
            origin.put("dir/f" + i + ".txt", "x".repeat(i));
        }
        origin.put("dir/sub/inner.txt", "inner");
        try (InProcessMount m = new InProcessMount(tmp, origin, "media", "mirrorSubDir", true, LONG_TIMEOUTS)) {
            m.syncer.syncNow();
            Path dir = m.mountpoint.resolve("mirrorSubDir/dir");
            assertEquals(301, names(dir).size());
            long listed = m.adapter.requests("readdir");
            long looked = m.adapter.requests("lookup");
            long attrs = m.adapter.requests("getattr");
            assertTrue(listed >= 1, "the first listing reached the daemon");
            for (int i = 0; i < 300; i++) {
                assertEquals(i, Files.size(dir.resolve("f" + i + ".txt")));
            }
            assertTrue(Files.isDirectory(dir.resolve("sub")));
            assertEquals(looked, m.adapter.requests("lookup"), "the listing gave the kernel every entry (readdirplus)");
            assertEquals(attrs, m.adapter.requests("getattr"), "with its attributes");
            assertEquals(301, names(dir).size());
            assertEquals(301, names(dir).size());
            assertEquals(listed, m.adapter.requests("readdir"), "listed again from the kernel's cache");

            origin.put("dir/added.txt", "new");
            origin.delete("dir/f0.txt");
            assertTrue(m.syncer.syncNow().treeChanged());
            List<String> after = names(dir);
            assertEquals(301, after.size());
            assertTrue(after.contains("added.txt") && !after.contains("f0.txt"), "the publish dropped the cached listing");
            assertTrue(m.adapter.requests("readdir") > listed);
            assertEquals("new", Files.readString(dir.resolve("added.txt")));
        }
    }

    @Test
    void aListingThatSpansAPublishListsTheGenerationItStartedInExactlyOnce() throws Exception {
        InMemoryOrigin origin = new InMemoryOrigin();
        java.util.Set<String> first = new java.util.TreeSet<>();
        for (int i = 0; i < 3000; i++) {
            String name = String.format("e%04d-%s.txt", i, "x".repeat(40));
            origin.put("dir/" + name, "v");
            first.add(name);
        }
        try (InProcessMount m = new InProcessMount(tmp, origin, "media", "mirrorSubDir", true, LONG_TIMEOUTS)) {
            m.syncer.syncNow();
            Path dir = m.mountpoint.resolve("mirrorSubDir/dir");
            List<String> seen = new java.util.ArrayList<>();
            try (var stream = Files.newDirectoryStream(dir)) {
                var it = stream.iterator();
                for (int i = 0; i < 100; i++) {
                    seen.add(it.next().getFileName().toString());
                }
                for (int i = 0; i < 10; i++) {
                    origin.delete("dir/" + String.format("e%04d-%s.txt", i, "x".repeat(40)));
                }
                origin.put("dir/a-new.txt", "new");
                assertTrue(m.syncer.syncNow().treeChanged(), "a publish in the middle of the listing");
                it.forEachRemaining(p -> seen.add(p.getFileName().toString()));
            }
            assertEquals(3000, seen.size(), "every entry once: the listing's later pages come from its generation");
            assertEquals(first, new java.util.TreeSet<>(seen));
            List<String> now = names(dir);
            assertEquals(2991, now.size(), "a new listing reads the new generation");
            assertTrue(now.contains("a-new.txt"));
        }
    }

    private static List<String> names(Path dir) throws java.io.IOException {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aPublishThatChangesTheTreeIsVisibleAtOnce() throws Exception {
        InMemoryOrigin origin = new InMemoryOrigin();
        origin.put("dir/a.txt", "one");
        origin.put("dir/keep.txt", "same");
        try (InProcessMount m = new InProcessMount(tmp, origin, "media", "mirrorSubDir", true, LONG_TIMEOUTS)) {
            m.syncer.syncNow();
            Path a = m.mountpoint.resolve("mirrorSubDir/dir/a.txt");
            Path added = m.mountpoint.resolve("mirrorSubDir/dir/new.txt");
            assertEquals("one", Files.readString(a));
            assertFalse(Files.exists(added));
            origin.put("dir/a.txt", "one more time");
            origin.put("dir/new.txt", "new");
            assertTrue(m.syncer.syncNow().treeChanged());
            assertEquals(13, Files.size(a));
            assertTrue(Files.exists(added));
            assertEquals("one more time", Files.readString(a), "new bytes, not stale cached pages");
            assertEquals("same", Files.readString(m.mountpoint.resolve("mirrorSubDir/dir/keep.txt")));

            origin.delete("dir/new.txt");
            assertTrue(m.syncer.syncNow().treeChanged());
            assertFalse(Files.exists(added), "a deleted blob disappears at once");
            assertFalse(m.syncer.syncNow().treeChanged(), "a sync that finds nothing new changes nothing");
        }
    }
}
