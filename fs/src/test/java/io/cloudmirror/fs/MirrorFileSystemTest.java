package io.cloudmirror.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MirrorFileSystemTest {

    @TempDir
    Path tmp;

    private final InMemoryOrigin origin = new InMemoryOrigin();
    private final InMemoryOrigin other = new InMemoryOrigin(Clock.systemUTC(), false);
    private IndexStore index;
    private IndexStore otherIndex;
    private Syncer syncer;
    private MirrorFileSystem fs;
    private final byte[] big = new byte[300_000];

    @BeforeEach
    void setUp() throws IOException {
        new Random(7).nextBytes(big);
        origin.put("docs/readme.txt", "hello");
        origin.put("models/v1/weights.bin", big, Map.of(), Map.of("tier", "hot", "owner", "ml"));
        origin.put("empty.txt", new byte[0]);
        other.put("x.txt", "other".getBytes(StandardCharsets.UTF_8), Map.of(), Map.of("tier", "cold"));
        index = IndexStore.open(tmp.resolve("a"), "media");
        otherIndex = IndexStore.open(tmp.resolve("b"), "other");
        syncer = new Syncer("media", origin, "", index, Clock.systemUTC());
        syncer.syncNow();
        new Syncer("other", other, "", otherIndex, Clock.systemUTC()).syncNow();
        fs = new MirrorFileSystem(List.of(
                new Subvolume("media", "mirrorSubDir", index, (n, e, s, o, d) -> origin.read(n, e, o, d), true),
                new Subvolume("other", "nested/deeper", otherIndex, (n, e, s, o, d) -> other.read(n, e, o, d), false)),
                new Ownership(1000, 100, 0), Instant.parse("2024-05-01T00:00:00Z"));
    }

    @AfterEach
    void tearDown() {
        fs.close();
        index.close();
        otherIndex.close();
    }

    private List<String> list(String path) throws FsException {
        long dh = fs.opendir(path);
        try {
            List<String> names = new ArrayList<>();
            fs.readdir(dh, 0, (name, ino, dir, next) -> names.add(name));
            return names;
        } finally {
            fs.releasedir(dh);
        }
    }

    private byte[] readAll(String path) throws FsException {
        long fh = fs.open(path, 0).fh();
        try {
            ByteBuffer out = ByteBuffer.allocate((int) fs.getattr(path).size() + 10);
            long off = 0;
            while (true) {
                ByteBuffer chunk = ByteBuffer.allocate(4096);
                int n = fs.read(fh, off, chunk);
                if (n == 0) {
                    break;
                }
                out.put(chunk.flip());
                off += n;
            }
            byte[] b = new byte[out.position()];
            out.flip().get(b);
            return b;
        } finally {
            fs.release(fh);
        }
    }

    @Test
    void mountRootAndSyntheticDirectoriesListSubvolumes() throws FsException {
        assertEquals(List.of(".", "..", "mirrorSubDir", "nested"), list("/"));
        assertEquals(List.of(".", "..", "deeper"), list("/nested"));
        assertEquals(List.of(".", "..", "x.txt"), list("/nested/deeper"));
        Attributes root = fs.getattr("/");
        assertTrue(root.isDirectory());
        assertEquals(1, root.inode());
        assertEquals(0555, root.mode());
        assertEquals(4, root.nlink());
        assertThrows(FsException.NoEntry.class, () -> fs.getattr("/nope"));
        assertThrows(FsException.NoEntry.class, () -> fs.getattr("/nested/nope"));
    }

    @Test
    void attributesFollowTheBlob() throws FsException {
        Attributes f = fs.getattr("/mirrorSubDir/models/v1/weights.bin");
        assertFalse(f.isDirectory());
        assertEquals(0444, f.mode());
        assertEquals(big.length, f.size());
        assertEquals((big.length + 511) / 512, f.blocks());
        assertEquals(1, f.nlink());
        assertEquals(1000, f.uid());
        assertEquals(100, f.gid());
        assertEquals(origin.get("models/v1/weights.bin").lastModified(), f.mtime());
        Attributes d = fs.getattr("/mirrorSubDir/models");
        assertTrue(d.isDirectory());
        assertEquals(0555, d.mode());
        assertEquals(3, d.nlink());
        assertEquals(0, fs.getattr("/mirrorSubDir/empty.txt").size());
    }

    @Test
    void umaskMasksPermissionBits() throws FsException {
        MirrorFileSystem masked = new MirrorFileSystem(fs.subvolumes(), new Ownership(0, 0, 0027), Instant.now());
        assertEquals(0440, masked.getattr("/mirrorSubDir/docs/readme.txt").mode());
        assertEquals(0550, masked.getattr("/mirrorSubDir/docs").mode());
    }

    @Test
    void readsReturnTheBlobBytesAtAnyOffset() throws FsException {
        assertArrayEquals(big, readAll("/mirrorSubDir/models/v1/weights.bin"));
        assertEquals("hello", new String(readAll("/mirrorSubDir/docs/readme.txt"), StandardCharsets.UTF_8));
        assertEquals(0, readAll("/mirrorSubDir/empty.txt").length);
        long fh = fs.open("/mirrorSubDir/models/v1/weights.bin", 0).fh();
        ByteBuffer b = ByteBuffer.allocate(100);
        assertEquals(100, fs.read(fh, 123_456, b));
        assertArrayEquals(java.util.Arrays.copyOfRange(big, 123_456, 123_556), b.array());
        ByteBuffer tail = ByteBuffer.allocate(100);
        assertEquals(50, fs.read(fh, big.length - 50, tail));
        assertEquals(0, fs.read(fh, big.length, ByteBuffer.allocate(10)));
        assertEquals(0, fs.read(fh, big.length + 1000, ByteBuffer.allocate(10)));
        fs.release(fh);
        assertThrows(FsException.BadHandle.class, () -> fs.read(fh, 0, ByteBuffer.allocate(1)));
    }

    @Test
    void readdirPagesByOffsetWithoutRepeatsOrGaps() throws IOException, FsException {
        for (int i = 0; i < 1000; i++) {
            origin.put("many/f" + i, "x");
        }
        syncer.syncNow();
        long dh = fs.opendir("/mirrorSubDir/many");
        List<String> names = new ArrayList<>();
        long[] next = {0};
        while (true) {
            int before = names.size();
            fs.readdir(dh, next[0], (name, ino, dir, off) -> {
                if (names.size() - before == 37) {
                    return false;
                }
                names.add(name);
                next[0] = off;
                return true;
            });
            if (names.size() == before) {
                break;
            }
        }
        fs.releasedir(dh);
        assertEquals(1002, names.size());
        assertEquals(1002, new java.util.HashSet<>(names).size());
    }

    @Test
    void everyModificationIsRefused() {
        assertThrows(FsException.ReadOnly.class, () -> fs.open("/mirrorSubDir/docs/readme.txt", 1));
        assertThrows(FsException.ReadOnly.class, () -> fs.open("/mirrorSubDir/docs/readme.txt", 2));
        assertThrows(FsException.ReadOnly.class, () -> fs.open("/mirrorSubDir/docs/readme.txt", 0x200));
        assertThrows(FsException.ReadOnly.class, () -> fs.open("/mirrorSubDir/docs/readme.txt", 0x400));
        assertThrows(FsException.ReadOnly.class, () -> fs.modify("unlink", "/mirrorSubDir/docs/readme.txt"));
        assertThrows(FsException.ReadOnly.class, () -> fs.access("/mirrorSubDir/docs/readme.txt", 2));
        assertThrows(FsException.IsDirectory.class, () -> fs.open("/mirrorSubDir/docs", 0));
        assertThrows(FsException.NotDirectory.class, () -> fs.opendir("/mirrorSubDir/docs/readme.txt"));
    }

    @Test
    void indexTagsAreXattrsInBothNamespaces() throws FsException {
        String p = "/mirrorSubDir/models/v1/weights.bin";
        assertEquals("hot", new String(fs.getxattr(p, "azindex.tier"), StandardCharsets.UTF_8));
        assertEquals("ml", new String(fs.getxattr(p, "user.azindex.owner"), StandardCharsets.UTF_8));
        assertEquals(List.of("azindex.owner", "azindex.tier", "user.azindex.owner", "user.azindex.tier"),
                fs.listxattr(p).stream().sorted().toList());
        assertThrows(FsException.NoAttribute.class, () -> fs.getxattr(p, "azindex.missing"));
        assertThrows(FsException.NoAttribute.class, () -> fs.getxattr(p, "user.other"));
        // Namespaces the mirror has none of: not supported, so ls -l stops asking for every file.
        assertThrows(FsException.NotSupported.class, () -> fs.getxattr(p, "security.selinux"));
        assertThrows(FsException.NotSupported.class, () -> fs.getxattr(p, "system.posix_acl_access"));
        assertThrows(FsException.NotSupported.class, () -> fs.getxattr(p, "trusted.x"));
        assertEquals(List.of(), fs.listxattr("/mirrorSubDir/docs/readme.txt"));
        // NoIndexTags: the origin has a tag but the subvolume does not mirror tags.
        assertEquals(List.of(), fs.listxattr("/nested/deeper/x.txt"));
        assertThrows(FsException.NoAttribute.class, () -> fs.getxattr("/nested/deeper/x.txt", "azindex.tier"));
    }

    @Test
    void openHandleKeepsItsVersionAndFailsStaleWhenItIsGone() throws IOException, FsException {
        String p = "/mirrorSubDir/docs/readme.txt";
        MirrorFileSystem.Opened first = fs.open(p, 0);
        assertFalse(first.keepCache(), "first open: nothing cached yet");
        fs.release(fs.open(p, 0).fh());
        assertTrue(fs.open(p, 0).keepCache(), "same version: the kernel may keep its pages");
        origin.put("docs/readme.txt", "hello, world");
        syncer.syncNow();
        assertEquals(12, fs.getattr(p).size(), "new lookups see the new version");
        assertEquals(5, fs.fgetattr(first.fh()).size(), "the open handle still sees its version");
        assertThrows(FsException.Stale.class, () -> fs.read(first.fh(), 0, ByteBuffer.allocate(5)),
                "the old version is gone from the cloud: ESTALE, never bytes of the new one");
        MirrorFileSystem.Opened fresh = fs.open(p, 0);
        assertFalse(fresh.keepCache(), "changed version: cached pages must be dropped");
        ByteBuffer b = ByteBuffer.allocate(64);
        assertEquals(12, fs.read(fresh.fh(), 0, b));
        fs.release(first.fh());
        fs.release(fresh.fh());
    }

    @Test
    void openDirectoryListsTheGenerationItWasOpenedOn() throws IOException, FsException {
        long dh = fs.opendir("/mirrorSubDir/docs");
        origin.put("docs/new.txt", "n");
        syncer.syncNow();
        List<String> names = new ArrayList<>();
        fs.readdir(dh, 0, (name, ino, dir, next) -> names.add(name));
        fs.releasedir(dh);
        assertEquals(List.of(".", "..", "readme.txt"), names);
        assertEquals(List.of(".", "..", "new.txt", "readme.txt"), list("/mirrorSubDir/docs"));
    }

    @Test
    void unreachableOriginIsAnIoErrorAndTotalsCountEverything() throws FsException {
        long fh = fs.open("/mirrorSubDir/docs/readme.txt", 0).fh();
        origin.setState(io.cloudmirror.origin.BackendConnection.DISCONNECTED);
        assertThrows(FsException.Io.class, () -> fs.read(fh, 0, ByteBuffer.allocate(5)));
        origin.setState(io.cloudmirror.origin.BackendConnection.CONNECTED);
        fs.release(fh);
        MirrorFileSystem.FsTotals t = fs.totals();
        assertEquals(5 + big.length + 0 + 5, t.bytes());
        assertEquals(0, fs.openHandles());
    }
}
