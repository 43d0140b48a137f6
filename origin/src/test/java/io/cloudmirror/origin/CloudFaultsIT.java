package io.cloudmirror.origin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link AzureBlobOrigin} against Azurite through a {@link FaultProxy}: every way an uplink fails, on listings
 * and on ranged reads. A listing either completes with exactly the container's blobs or fails with an
 * {@link OriginException} (never a partial listing presented as whole); a read either returns exactly the
 * bytes of the version it is pinned to or fails cleanly, never with other bytes.
 *
 * <p>Timeouts are shortened (one attempt 4 s, the read timeout half of that) to keep stalls cheap.
 */
class CloudFaultsIT {

    @RegisterExtension
    static final Azurite AZURITE = new Azurite();

    private static final String CONTAINER = "faults";
    private static final int BLOBS = 300;
    private static final byte[] BIG = new byte[3 * 1024 * 1024 + 17];
    private static final Map<String, String> TRUTH = new TreeMap<>();
    private static final Predicate<FaultProxy.Request> LISTINGS = FaultProxy.Request::isListing;
    /** Requests of a whole listing: the first level (big.bin and d0/ to d6/), then each d?/ part flat. */
    private static final int LISTING_REQUESTS = 1 + 7;
    private static final Predicate<FaultProxy.Request> READS = FaultProxy.Request::isRead;

    private FaultProxy proxy;
    private AzureBlobOrigin origin;

    @BeforeAll
    static void upload() {
        BlobContainerClient c = AZURITE.createContainer(CONTAINER);
        new Random(9).nextBytes(BIG);
        c.getBlobClient("big.bin").upload(BinaryData.fromBytes(BIG));
        for (int i = 0; i < BLOBS; i++) {
            String name = String.format("d%d/f%03d", i % 7, i);
            c.getBlobClient(name).upload(BinaryData.fromString("blob " + i));
        }
        c.listBlobs().forEach(b -> TRUTH.put(b.getName(), b.getProperties().getETag()));
    }

    @BeforeEach
    void start() throws Exception {
        proxy = new FaultProxy(AZURITE.port());
        origin = AzureBlobOrigin.create(new AzureSettings(URI.create(proxy.endpoint(Azurite.ACCOUNT_NAME)), CONTAINER,
                new AzureCredential.AccountKey(Azurite.ACCOUNT_NAME, Azurite.ACCOUNT_KEY), false,
                Duration.ofSeconds(2), Duration.ofSeconds(4), 3));
    }

    @AfterEach
    void stop() throws Exception {
        origin.close();
        proxy.close();
    }

    private Map<String, String> list() throws OriginException {
        Map<String, String> out = new TreeMap<>();
        origin.list("", item -> out.put(item.name(), item.etag()));
        out.remove("moving.bin"); // another test's blob
        return out;
    }

    private byte[] readBig() throws OriginException {
        ByteBuffer dst = ByteBuffer.allocate(BIG.length);
        long n = origin.read("big.bin", TRUTH.get("big.bin"), 0, new ByteBuffer[] {dst});
        assertEquals(BIG.length, n);
        return dst.array();
    }

    // ---- listings --------------------------------------------------------------------------------

    @Test
    void aListingRetriesServerBusyAndInternalErrorsAndIsWhole() throws Exception {
        proxy.on(LISTINGS, 1, FaultProxy.serverBusy(1)).on(LISTINGS, 1, FaultProxy.internalError());
        assertEquals(TRUTH, list());
        assertEquals(LISTING_REQUESTS + 2, proxy.count(LISTINGS), "two failed attempts, then the one that answered");
    }

    @Test
    void aListingHonoursRetryAfter() throws Exception {
        proxy.on(LISTINGS, 1, FaultProxy.tooManyRequests(1));
        assertEquals(TRUTH, list());
        List<FaultProxy.Seen> seen = proxy.seen();
        assertEquals(LISTING_REQUESTS + 1, seen.size());
        long gapMillis = (seen.get(1).atNanos() - seen.get(0).atNanos()) / 1_000_000;
        assertTrue(gapMillis >= 900, "the retry came after Retry-After: " + gapMillis + " ms");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 100, 5000})
    void aListingCutMidBodyIsRetriedOrFailsButIsNeverPartial(int bodyBytes) throws Exception {
        proxy.on(LISTINGS, 1, FaultProxy.reset(bodyBytes));
        assertEquals(TRUTH, list(), "the retried listing is whole");
        proxy.clear().on(LISTINGS, 1, FaultProxy.truncate(bodyBytes));
        assertEquals(TRUTH, list(), "the retried listing is whole");
    }

    @Test
    void aListingThatAlwaysFailsIsACleanUnreachableError() {
        proxy.always(LISTINGS, FaultProxy.reset(200));
        OriginException e = assertThrows(OriginException.class, this::list);
        assertTrue(e instanceof OriginException.Unreachable || e instanceof OriginException.Failed, e.toString());
        assertEquals(3, proxy.count(LISTINGS), "maxTries attempts");
        proxy.clear().always(LISTINGS, FaultProxy.serverBusy(0));
        OriginException busy = assertThrows(OriginException.class, this::list);
        assertTrue(busy instanceof OriginException.Unreachable, busy.toString());
        assertEquals(BackendConnection.DISCONNECTED, busy.connection());
    }

    @Test
    void aStalledListingTimesOutAndIsRetried() throws Exception {
        proxy.on(LISTINGS, 1, FaultProxy.stall(Duration.ofSeconds(30)));
        long t0 = System.nanoTime();
        assertEquals(TRUTH, list());
        long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
        assertTrue(seconds < 20, "the stalled attempt was abandoned after its timeout, took " + seconds + " s");
        assertEquals(LISTING_REQUESTS + 1, proxy.count(LISTINGS));
    }

    @Test
    void aProbeThroughAFailingLinkSaysDisconnected() {
        proxy.always(LISTINGS, FaultProxy.serverBusy(0));
        assertEquals(BackendConnection.DISCONNECTED, origin.probe().connection());
        proxy.clear();
        assertEquals(BackendConnection.CONNECTED, origin.probe().connection());
    }

    // ---- reads -----------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 65536, 1048576, 3 * 1024 * 1024})
    void aReadResetMidBodyResumesWhereItWasCutPinnedToTheSameVersion(int cutAt) throws Exception {
        proxy.on(READS, 1, FaultProxy.reset(cutAt));
        assertArrayEquals(BIG, readBig());
        List<FaultProxy.Seen> reads = proxy.seen().stream().filter(s -> s.request().isRead()).toList();
        assertEquals(2, reads.size(), "one cut attempt, one resumed attempt");
        String etag = TRUTH.get("big.bin");
        for (FaultProxy.Seen s : reads) {
            assertEquals(etag, s.request().header("If-Match"), "every attempt is pinned to the listed version");
        }
        // A reset discards bytes still in flight, so the reader resumes at or before the cut, never after it.
        String range = reads.get(1).request().header("x-ms-range");
        long resumedAt = Long.parseLong(range.substring("bytes=".length(), range.indexOf('-')));
        assertTrue(resumedAt <= cutAt && (cutAt < 1 << 20 || resumedAt > 0),
                "resumed at the first byte it did not get, cut at " + cutAt + ": " + range);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 777, 2 * 1024 * 1024})
    void aTruncatedReadBodyIsDetectedAndResumed(int cutAt) throws Exception {
        proxy.on(READS, 1, FaultProxy.truncate(cutAt));
        assertArrayEquals(BIG, readBig());
        assertEquals(2, proxy.count(READS));
    }

    @Test
    void readsRetryServerBusyThrottlingAndInternalErrors() throws Exception {
        proxy.on(READS, 1, FaultProxy.serverBusy(1)).on(READS, 1, FaultProxy.tooManyRequests(1));
        assertArrayEquals(BIG, readBig());
        List<FaultProxy.Seen> seen = proxy.seen();
        for (int i = 1; i < 3; i++) {
            long gapMillis = (seen.get(i).atNanos() - seen.get(i - 1).atNanos()) / 1_000_000;
            assertTrue(gapMillis >= 900, "retry " + i + " came after the Retry-After of 1 s: " + gapMillis + " ms");
        }
        proxy.clear().on(READS, 2, FaultProxy.internalError());
        assertArrayEquals(BIG, readBig());
        assertEquals(6, proxy.count(READS));
    }

    @Test
    void aStalledReadTimesOutAndIsRetried() throws Exception {
        proxy.on(READS, 1, FaultProxy.stall(Duration.ofSeconds(30)));
        long t0 = System.nanoTime();
        assertArrayEquals(BIG, readBig());
        long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
        assertTrue(seconds >= 1 && seconds < 20, "abandoned after the read timeout (2 s), took " + seconds + " s");
    }

    @Test
    void aReadThatKeepsFailingIsACleanErrorAndLeavesTheBuffersUntouched() {
        proxy.always(READS, FaultProxy.reset(4096));
        ByteBuffer dst = ByteBuffer.allocate(BIG.length);
        OriginException e = assertThrows(OriginException.class,
                () -> origin.read("big.bin", TRUTH.get("big.bin"), 0, new ByteBuffer[] {dst}));
        assertTrue(e instanceof OriginException.Unreachable, e.toString());
        assertEquals(0, dst.position(), "no partial bytes handed out");
        proxy.clear().always(READS, FaultProxy.internalError());
        assertThrows(OriginException.Unreachable.class,
                () -> origin.read("big.bin", TRUTH.get("big.bin"), 0, ByteBuffer.allocate(10)));
    }

    @Test
    void aVersionReplacedBetweenAttemptsIsNeverMixedIn() throws Exception {
        BlobContainerClient c = AZURITE.container(CONTAINER);
        byte[] v1 = new byte[2 * 1024 * 1024];
        new Random(1).nextBytes(v1);
        String e1 = c.getBlobClient("moving.bin").uploadWithResponse(
                new com.azure.storage.blob.options.BlobParallelUploadOptions(BinaryData.fromBytes(v1)), null,
                com.azure.core.util.Context.NONE).getValue().getETag();
        // The first attempt is cut after 1 MiB; before the retry, the blob is replaced.
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch arrived = new java.util.concurrent.CountDownLatch(1);
        proxy.on(READS, 1, FaultProxy.reset(1024 * 1024))
                .on(READS, 1, new FaultProxy.Hold(release, arrived));
        ByteBuffer dst = ByteBuffer.allocate(v1.length);
        List<Throwable> failure = new ArrayList<>();
        Thread reader = new Thread(() -> {
            try {
                origin.read("moving.bin", e1, 0, new ByteBuffer[] {dst});
            } catch (OriginException e) {
                failure.add(e);
            }
        });
        reader.start();
        assertTrue(arrived.await(30, java.util.concurrent.TimeUnit.SECONDS), "the retry reached the proxy");
        byte[] v2 = new byte[v1.length];
        new Random(2).nextBytes(v2);
        c.getBlobClient("moving.bin").upload(BinaryData.fromBytes(v2), true);
        // The held retry was answered by Azurite before the overwrite: it is still v1's bytes. The next one is not.
        release.countDown();
        reader.join(30_000);
        assertTrue(failure.isEmpty(), failure.toString());
        assertArrayEquals(v1, dst.array(), "the held answer was of the pinned version");

        proxy.clear().on(READS, 1, FaultProxy.reset(1024 * 1024));
        ByteBuffer again = ByteBuffer.allocate(v1.length);
        OriginException gone = assertThrows(OriginException.class,
                () -> origin.read("moving.bin", e1, 0, new ByteBuffer[] {again}));
        assertTrue(gone instanceof OriginException.VersionGone, "resuming a replaced version fails: " + gone);
        assertEquals(0, again.position(), "and hands out none of the bytes the cut attempt delivered");
        assertFalse(java.util.Arrays.equals(v1, v2));
    }
}
