package io.cloudmirror.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cloudmirror.index.IndexStore;
import io.cloudmirror.origin.InMemoryOrigin;
import io.cloudmirror.sync.Syncer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the core tells the kernel to cache files across versions, and that every open file gets its own reader. */
class OpenVersionsTest {

    @TempDir
    Path tmp;

    private final InMemoryOrigin origin = new InMemoryOrigin();
    private IndexStore index;
    private Syncer syncer;
    private MirrorFileSystem fs;
    private final CountingSource source = new CountingSource(origin);

    @BeforeEach
    void setUp() throws IOException {
        origin.put("f.txt", "version one");
        index = IndexStore.open(tmp, "media");
        syncer = new Syncer("media", origin, "", index, Clock.systemUTC());
        syncer.syncNow();
        fs = new MirrorFileSystem(List.of(new Subvolume("media", "m", index, source, false)),
                new Ownership(0, 0, 0), Instant.EPOCH);
    }

    @AfterEach
    void tearDown() {
        if (fs != null) {
            fs.close();
        }
        index.close();
    }

    private String readAll(long fh) throws FsException {
        ByteBuffer b = ByteBuffer.allocate(100);
        int n = fs.read(fh, 0, b);
        return new String(b.array(), 0, n, StandardCharsets.UTF_8);
    }

    @Test
    void anUnchangedFileKeepsItsPagesAndAChangedOneWhileTheOldIsOpenBypassesThem() throws Exception {
        String p = "/m/f.txt";
        MirrorFileSystem.Opened a1 = fs.open(p, 0);
        assertFalse(a1.keepCache(), "first open: nothing known about the kernel's pages");
        assertFalse(a1.directIo());
        MirrorFileSystem.Opened a2 = fs.open(p, 0);
        assertTrue(a2.keepCache(), "same version: its pages may stay");
        assertFalse(a2.directIo());
        fs.release(a2.fh());

        origin.put("f.txt", "version two!");
        syncer.syncNow();
        MirrorFileSystem.Opened b1 = fs.open(p, 0);
        assertTrue(b1.directIo(), "version one is still open, its pages may be cached: bypass them");
        assertFalse(b1.keepCache());
        assertEquals("version two!", readAll(b1.fh()));
        MirrorFileSystem.Opened b2 = fs.open(p, 0);
        assertTrue(b2.directIo(), "still: version one is open");
        fs.release(b2.fh());

        fs.release(a1.fh());
        MirrorFileSystem.Opened b3 = fs.open(p, 0);
        assertTrue(b3.directIo(), "version one is closed, but the kernel may still bound reads by its size: bypass");
        assertFalse(b3.keepCache());
        MirrorFileSystem.Opened b4 = fs.open(p, 0);
        assertTrue(b4.directIo(), "for as long as this mount lives");
        assertEquals("version two!", readAll(b4.fh()));

        // Another file that never changed keeps the page cache.
        origin.put("g.txt", "steady");
        syncer.syncNow();
        MirrorFileSystem.Opened g1 = fs.open("/m/g.txt", 0);
        MirrorFileSystem.Opened g2 = fs.open("/m/g.txt", 0);
        assertFalse(g1.directIo());
        assertTrue(g2.keepCache());
        fs.release(g1.fh());
        fs.release(g2.fh());
        fs.release(b1.fh());
        fs.release(b3.fh());
        fs.release(b4.fh());
        assertEquals(0, source.openReaders(), "every reader closed with its file");
    }

    @Test
    void everyOpenGetsAReaderOfItsVersionWithItsMd5AndReleaseClosesIt() throws Exception {
        long fh = fs.open("/m/f.txt", 0).fh();
        assertEquals(1, source.openReaders());
        assertEquals(List.of("f.txt@" + origin.get("f.txt").etag() + " with md5"), source.opened());
        assertEquals("version one", readAll(fh));
        fs.release(fh);
        assertEquals(0, source.openReaders());
        fs.open("/m/f.txt", 0);
        fs.close();
        fs = null;
        assertEquals(0, source.openReaders(), "closing the filesystem closes what is still open");
    }

    @Test
    void aPageCacheReaderOfAVersionWhoseSizeChangedFailsAtItsEndRatherThanEndShort() throws Exception {
        String p = "/m/f.txt";
        MirrorFileSystem.Opened a = fs.open(p, 0);
        assertFalse(a.directIo());
        origin.put("f.txt", "version two, longer");
        syncer.syncNow();
        MirrorFileSystem.Opened b = fs.open(p, 0);
        assertTrue(b.directIo());

        // The kernel now believes the newer size; a page read past the old end would be padded with zeros.
        FsException.Stale e = assertThrows(FsException.Stale.class, () -> fs.read(a.fh(), 0, ByteBuffer.allocate(4096)));
        assertTrue(e.getMessage().contains("changed size since it was opened (11 bytes then)"), e.getMessage());
        assertEquals("version two, longer", readAll(b.fh()), "a direct reader of the new version reads it whole");
        fs.release(a.fh());
        fs.release(b.fh());

        MirrorFileSystem.Opened c = fs.open(p, 0);
        origin.put("f.txt", "version three, long");
        syncer.syncNow();
        // Same size: the kernel's bound is right, so the read goes to the origin (where this test's origin has
        // dropped the old version: the documented version-gone ESTALE, not the size check).
        FsException.Stale gone = assertThrows(FsException.Stale.class, () -> fs.read(c.fh(), 0, ByteBuffer.allocate(4096)));
        assertTrue(gone.getMessage().contains("is gone"), gone.getMessage());
        fs.release(c.fh());
    }
}
