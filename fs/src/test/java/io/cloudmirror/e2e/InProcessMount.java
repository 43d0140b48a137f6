package io.cloudmirror.e2e;

import static org.junit.jupiter.api.Assertions.fail;

import io.cloudmirror.fs.MirrorFileSystem;
import io.cloudmirror.fs.Ownership;
import io.cloudmirror.fs.Subvolume;
import io.cloudmirror.fuse.FuseAdapter;
import io.cloudmirror.index.IndexStore;
import io.cloudmirror.origin.BlobOrigin;
import io.cloudmirror.sync.SyncListener;
import io.cloudmirror.sync.Syncer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;

/**
 * The core and the libfuse 3 adapter mounted for real inside the test JVM, over any origin: for FUSE tests
 * of kernel-facing behaviour (caching, invalidation, errno) that need no Azurite and no daemon process.
 */
final class InProcessMount implements AutoCloseable {

    final Path mountpoint;
    final IndexStore index;
    final Syncer syncer;
    final MirrorFileSystem fs;
    final FuseAdapter adapter;
    private final Thread loop;

    /**
     * Mounts {@code origin} as subvolume {@code name} at {@code mountpoint/path}.
     *
     * @param invalidateOnPublish whether a publish that changes the tree drops the kernel's caches (as the daemon does)
     * @param options  libfuse {@code -o} options (e.g. the cloudmirror defaults)
     */
    InProcessMount(Path dir, BlobOrigin origin, String name, String path, boolean invalidateOnPublish,
                   List<String> options) throws Exception {
        MirrorMount.requireFuse();
        this.mountpoint = Files.createDirectories(dir.resolve("mnt"));
        this.index = IndexStore.open(dir.resolve("index"), name);
        String top = path.split("/", 2)[0];
        SyncListener invalidate = new SyncListener() {
            @Override
            public void published(String subvolume, io.cloudmirror.index.GenerationStats stats) {
                if (invalidateOnPublish && stats.treeChanged()) {
                    adapter.invalidate(top);
                }
            }
        };
        this.syncer = new Syncer(name, origin, "", index, Clock.systemUTC(), invalidate);
        this.fs = new MirrorFileSystem(List.of(new Subvolume(name, path, index,
                (n, e, s, o, d) -> origin.read(n, e, o, d), true)), new Ownership(0, 0, 0), Instant.now());
        this.adapter = new FuseAdapter(fs);
        FuseAdapter fuse = adapter;
        this.loop = new Thread(() -> fuse.mount(mountpoint, true, false, options.toArray(String[]::new)), "fuse-test");
        loop.setDaemon(true);
        loop.start();
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!mounted()) {
            if (System.nanoTime() > deadline || !loop.isAlive()) {
                fail("in-process FUSE mount did not come up at " + mountpoint);
            }
            Thread.sleep(10);
        }
    }

    boolean mounted() throws IOException {
        String want = " " + mountpoint + " fuse.cloudmirror ";
        return Files.readAllLines(Path.of("/proc/mounts")).stream().anyMatch(l -> l.contains(want));
    }

    @Override
    public void close() throws Exception {
        if (mounted()) {
            Sh.bash("fusermount -u '" + mountpoint + "' || fusermount -u -z '" + mountpoint + "'");
        }
        loop.join(15_000);
        fs.close();
        index.close();
    }
}
