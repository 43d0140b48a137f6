package io.cloudmirror.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import io.cloudmirror.index.IndexStore;
import io.cloudmirror.origin.AzureBlobOrigin;
import io.cloudmirror.origin.AzureCredential;
import io.cloudmirror.origin.AzureSettings;
import io.cloudmirror.origin.Azurite;
import io.cloudmirror.origin.FaultProxy;
import io.cloudmirror.sync.Syncer;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container changes while a sync lists it (Azure, the real origin, a fault proxy holding the first listing
 * page while blobs on both pages are overwritten, deleted and added). Azure's listing is not a snapshot: the
 * published tree holds the first page as it was and the second as it became. What must hold: the sync
 * succeeds, every file reads exactly the bytes of the version its listing saw or fails with ESTALE when the
 * cloud no longer holds that version (never another version's bytes), and the next sync brings the container
 * exactly.
 */
class ContainerChangesDuringSyncIT {

    @RegisterExtension
    static final Azurite AZURITE = new Azurite();

    /** More than one listing page (5,000). */
    private static final int BLOBS = 5_150;

    @TempDir
    Path dir;

    private static String name(int i) {
        return String.format("p/%05d", i);
    }

    private static byte[] content(String name, int version) {
        return (name + " v" + version).getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aListingThatSeesTheContainerChangeNeverServesAWrongByte() throws Exception {
        BlobContainerClient c = AZURITE.createContainer("churning");
        TreeMap<String, byte[]> cloud = new TreeMap<>();
        for (int i = 0; i < BLOBS; i++) {
            cloud.put(name(i), content(name(i), 1));
        }
        ExecutorService pool = Executors.newFixedThreadPool(16);
        List<Future<?>> done = new ArrayList<>();
        for (Map.Entry<String, byte[]> e : cloud.entrySet()) {
            done.add(pool.submit(() -> c.getBlobClient(e.getKey()).upload(BinaryData.fromBytes(e.getValue()))));
        }
        for (Future<?> f : done) {
            f.get();
        }
        pool.shutdown();

        CountDownLatch arrived = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (FaultProxy proxy = new FaultProxy(AZURITE.port());
             AzureBlobOrigin origin = AzureBlobOrigin.create(new AzureSettings(URI.create(
                     proxy.endpoint(Azurite.ACCOUNT_NAME)), "churning", new AzureCredential.AccountKey(
                     Azurite.ACCOUNT_NAME, Azurite.ACCOUNT_KEY), false, Duration.ofSeconds(10),
                     Duration.ofSeconds(30), 3));
             IndexStore index = IndexStore.open(dir.resolve("index"), "churning")) {
            // the first page of the flat listing (the hierarchical look at the first level, which finds only p/
            // here and so does not split the listing, goes before it unheld)
            proxy.on(r -> r.isListing() && !r.target().contains("marker=") && !r.target().contains("delimiter="), 1,
                    new FaultProxy.Hold(release, arrived));
            Syncer syncer = new Syncer("churning", origin, "", index, Clock.systemUTC());
            CompletableFuture<Object> sync = CompletableFuture.supplyAsync(() -> {
                try {
                    return syncer.syncNow();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            assertTrue(arrived.await(60, TimeUnit.SECONDS), "the first listing page was requested");

            // Page 1 was answered (and is held); now the container changes on both pages.
            Map<String, byte[]> listedFirstPage = new TreeMap<>(cloud.headMap(name(5000)));
            List<String> overwritten = List.of(name(10), name(5010));
            List<String> deleted = List.of(name(20), name(5020));
            for (String n : overwritten) {
                cloud.put(n, content(n, 2));
                c.getBlobClient(n).upload(BinaryData.fromBytes(cloud.get(n)), true);
            }
            for (String n : deleted) {
                cloud.remove(n);
                c.getBlobClient(n).delete();
            }
            for (String n : List.of("a-new", "q-new")) {
                cloud.put(n, content(n, 1));
                c.getBlobClient(n).upload(BinaryData.fromBytes(cloud.get(n)));
            }
            release.countDown();
            sync.get(2, TimeUnit.MINUTES);

            // What the listing saw: page 1 as it was, page 2 as it became.
            Map<String, byte[]> listed = new TreeMap<>(listedFirstPage);
            listed.putAll(cloud.tailMap(name(5000)));
            MirrorFileSystem fs = new MirrorFileSystem(List.of(new Subvolume("churning", "m", index,
                    (n, e, s, o, d) -> origin.read(n, e, o, d), true)), new Ownership(0, 0, 0), Instant.EPOCH);
            try {
                assertEquals(new TreeSet<>(listed.keySet()), tree(fs), "the published tree is what the listing saw");
                int stale = 0;
                for (Map.Entry<String, byte[]> e : listed.entrySet()) {
                    boolean gone = !java.util.Arrays.equals(e.getValue(), cloud.get(e.getKey()));
                    if (gone) {
                        assertThrows(FsException.Stale.class, () -> read(fs, e.getKey(), e.getValue().length),
                                e.getKey() + ": its listed version is gone");
                        stale++;
                    } else if (e.getKey().endsWith("0")) {
                        assertArrayEquals(e.getValue(), read(fs, e.getKey(), e.getValue().length), e.getKey());
                    }
                }
                assertEquals(2, stale, "the overwritten and deleted blobs of the first page");
                assertArrayEquals(content(name(5010), 2), read(fs, name(5010), 100), "page 2 as it became");

                syncer.syncNow();
                assertEquals(new TreeSet<>(cloud.keySet()), tree(fs), "the next sync brings the container exactly");
                for (String n : List.of(name(10), name(5010), "a-new", "q-new")) {
                    assertArrayEquals(cloud.get(n), read(fs, n, 100), n);
                }
            } finally {
                fs.close();
            }
        }
    }

    private static byte[] read(MirrorFileSystem fs, String name, int max) throws FsException {
        long fh = fs.open("/m/" + name, 0).fh();
        try {
            ByteBuffer dst = ByteBuffer.allocate(max + 10);
            int n = fs.read(fh, 0, dst);
            byte[] out = new byte[Math.max(n, 0)];
            dst.flip().get(out);
            return out;
        } finally {
            fs.release(fh);
        }
    }

    /** Every file path under the subvolume. */
    private static TreeSet<String> tree(MirrorFileSystem fs) throws FsException {
        TreeSet<String> out = new TreeSet<>();
        MirrorHarness.walk(fs, "/m", "", (path, directory) -> {
            if (!directory) {
                out.add(path);
            }
        });
        return out;
    }
}
