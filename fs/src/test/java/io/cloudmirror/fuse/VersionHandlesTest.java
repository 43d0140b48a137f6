package io.cloudmirror.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cloudmirror.fs.CountingSource;
import io.cloudmirror.fs.FsException;
import io.cloudmirror.fs.MirrorFileSystem;
import io.cloudmirror.fs.Ownership;
import io.cloudmirror.fs.Subvolume;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Version nodes read through handles of their own version, opened by reads and released by forgets and sweeps. */
class VersionHandlesTest {

    @TempDir
    Path tmp;

    private final InMemoryOrigin origin = new InMemoryOrigin();
    private final CountingSource source = new CountingSource(origin);
    private final AtomicLong now = new AtomicLong();
    private final NodeTable nodes = new NodeTable();
    private IndexStore index;
    private Syncer syncer;
    private MirrorFileSystem fs;
    private VersionHandles handles;

    @BeforeEach
    void setUp() throws IOException {
        origin.put("dir/f.txt", "version one");
        origin.put("g.txt", "another file");
        index = IndexStore.open(tmp, "media");
        syncer = new Syncer("media", origin, "", index, Clock.systemUTC());
        syncer.syncNow();
        fs = new MirrorFileSystem(List.of(new Subvolume("media", "m", index, source, false)),
                new Ownership(0, 0, 0), Instant.EPOCH);
        handles = new VersionHandles(fs, nodes, now::get);
    }

    @AfterEach
    void tearDown() {
        fs.close();
        index.close();
    }

    /** A lookup as the adapter makes it where the kernel opens files itself. */
    private long lookup(String path) throws FsException {
        MirrorFileSystem.Found f = fs.find(path);
        return nodes.ref(path, f.attributes().isDirectory(), f.version());
    }

    private String read(long node) throws FsException {
        ByteBuffer b = ByteBuffer.allocate(100);
        handles.read(node, 0, b);
        return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
    }

    @Test
    void aNodeReadsItsOwnVersionAfterAChangeAndANewLookupGetsTheNewOne() throws Exception {
        long v1 = lookup("/m/dir/f.txt");
        assertEquals(v1, lookup("/m/dir/f.txt"), "the same version, the same node");
        assertEquals("version one", read(v1));
        origin.put("dir/f.txt", "version two, longer");
        syncer.syncNow();
        long v2 = lookup("/m/dir/f.txt");
        assertNotEquals(v1, v2, "another version, another node: the kernel gets a fresh inode");
        assertEquals("version two, longer", read(v2));
        assertThrows(FsException.Stale.class, () -> read(v1), "the old node reads its own version, which this "
                + "cacheless origin no longer has: never the new bytes");
        assertEquals(11, fs.attributes(nodes.version(v1)).size(), "and keeps its size");
        assertEquals(v2, nodes.idOf("/m/dir/f.txt"), "the path's newest node");
    }

    @Test
    void aHandleIsOpenedByTheFirstReadAndReleasedWhenTheKernelForgetsTheNode() throws Exception {
        long n = lookup("/m/g.txt");
        assertEquals(0, source.openReaders(), "a lookup opens nothing");
        read(n);
        read(n);
        assertEquals(1, source.openReaders(), "one handle for every read of the node");
        assertTrue(nodes.forget(n, 1));
        handles.forgotten(n);
        assertEquals(0, source.openReaders());
        assertThrows(FsException.BadHandle.class, () -> read(n), "a forgotten node cannot be read");
    }

    @Test
    void anIdleHandleOfTheNewestVersionIsReleasedAndOpenedAgainByTheNextRead() throws Exception {
        long n = lookup("/m/g.txt");
        read(n);
        now.addAndGet(VersionHandles.IDLE_NANOS / 2);
        handles.sweep();
        assertEquals(1, source.openReaders(), "read recently: kept");
        now.addAndGet(VersionHandles.IDLE_NANOS);
        handles.sweep();
        assertEquals(0, source.openReaders(), "idle: released, its version no longer pinned");
        assertEquals("another file", read(n));
        assertEquals(1, source.openReaders());
    }

    @Test
    void aPublishHoldsTheSupersededVersionsTheKernelStillHasUntilItForgetsThem() throws Exception {
        long changed = lookup("/m/dir/f.txt");
        long unchanged = lookup("/m/g.txt");
        long gone = lookup("/m/dir/f.txt"); // the same node, a second reference
        assertEquals(changed, gone);
        origin.put("dir/f.txt", "version two");
        syncer.syncNow();
        List<NodeTable.VersionNode> superseded = handles.publishedUnder("/m");
        assertEquals(List.of(changed), superseded.stream().map(NodeTable.VersionNode::id).toList());
        assertEquals(1, source.openReaders(), "its version pinned although it was never read");
        now.addAndGet(VersionHandles.IDLE_NANOS * 10);
        handles.sweep();
        assertEquals(1, source.openReaders(), "a superseded version is not released for being idle");
        assertThrows(FsException.Stale.class, () -> read(changed), "its own version, gone from the origin");
        read(unchanged);
        assertEquals(2, source.openReaders());
        assertTrue(nodes.forget(changed, 2));
        handles.forgotten(changed);
        assertEquals(1, source.openReaders(), "released once forgotten");
        assertEquals(List.of(), handles.publishedUnder("/m"), "nothing superseded is held by the kernel any more");
    }

    @Test
    void readsRacingSweepsAndForgetsNeverUseAReleasedHandle() throws Exception {
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            ids.add(lookup("/m/g.txt"));
        }
        long n = ids.get(0);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> readers = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                readers.add(pool.submit(() -> {
                    for (int i = 0; i < 20_000; i++) {
                        assertEquals("another file", read(n));
                    }
                    return null;
                }));
            }
            Future<?> sweeper = pool.submit(() -> {
                while (!readers.stream().allMatch(Future::isDone)) {
                    now.addAndGet(VersionHandles.IDLE_NANOS + 1);
                    handles.sweep();
                }
                return null;
            });
            for (Future<?> f : readers) {
                f.get();
            }
            sweeper.get();
        } finally {
            pool.shutdownNow();
        }
        assertTrue(source.openReaders() <= 1, source.openReaders() + " readers open: every replaced handle was released");
        nodes.forget(n, 8);
        handles.forgotten(n);
        assertEquals(0, source.openReaders());
        assertEquals(0, handles.size());
    }
}
