package io.cloudmirror.origin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.options.BlobParallelUploadOptions;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The {@link Azurite} extension itself: addresses, and stop/start on the same port and data (offline tests). */
class AzuriteIT {

    @RegisterExtension
    static final Azurite AZURITE = new Azurite();

    @AfterEach
    void running() {
        AZURITE.start(); // whatever a test did, leave Azurite up
    }

    @Test
    void addressesAreConsistent() {
        int port = AZURITE.port();
        assertEquals("http://127.0.0.1:" + port + "/devstoreaccount1/", AZURITE.endpoint().toString());
        assertEquals("devstoreaccount1", AZURITE.accountName());
        assertEquals(AZURITE.accountName(), AzureSettings.accountNameOf(AZURITE.endpoint()));
        assertTrue(AZURITE.connectionString().contains("AccountKey=" + AZURITE.accountKey() + ";"));
        assertTrue(AZURITE.connectionString().contains("BlobEndpoint=http://127.0.0.1:" + port + "/devstoreaccount1;"));
        assertTrue(AZURITE.isRunning());
        assertTrue(AZURITE.toString().contains(Integer.toString(port)));
    }

    @Test
    void logRecordsTheStart() throws Exception {
        String log = Files.readString(AZURITE.logFile(), StandardCharsets.UTF_8);
        assertTrue(log.contains("successfully listens on http://127.0.0.1:" + AZURITE.port()), log);
        assertTrue(AZURITE.logTail().contains("successfully listens"), AZURITE.logTail());
    }

    @Test
    void stopAndStartKeepThePortAndTheData() throws Exception {
        BlobContainerClient c = AZURITE.createContainer("restart");
        Map<String, byte[]> put = new HashMap<>();
        for (int i = 0; i < 20; i++) {
            byte[] content = ("blob " + i).getBytes(StandardCharsets.UTF_8);
            put.put("b" + i, content);
            c.getBlobClient("b" + i).uploadWithResponse(new BlobParallelUploadOptions(BinaryData.fromBytes(content))
                    .setMetadata(Map.of("i", Integer.toString(i))).setTags(Map.of("i", Integer.toString(i))),
                    null, null);
        }
        int port = AZURITE.port();
        try (AzureBlobOrigin origin = AzureBlobOrigin.create(AZURITE.settings("restart", true))) {
            Map<String, BlobItem> before = BlobOriginContract.listAll(origin, "");
            assertEquals(put.keySet(), before.keySet());

            AZURITE.stop();
            assertFalse(AZURITE.isRunning());
            AZURITE.stop(); // idempotent

            long t0 = System.nanoTime();
            Probe offline = origin.probe();
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            assertEquals(BackendConnection.DISCONNECTED, offline.connection(), offline.detail());
            assertTrue(took.compareTo(Duration.ofSeconds(30)) < 0, "offline probe took " + took);
            assertThrows(OriginException.Unreachable.class, () -> origin.list("", item -> { }));
            String etag = before.get("b3").etag();
            assertThrows(OriginException.Unreachable.class, () -> origin.read("b3", etag, 0, ByteBuffer.allocate(4)));

            AZURITE.start();
            assertTrue(AZURITE.isRunning());
            assertEquals(port, AZURITE.port(), "same port after a restart");
            assertEquals(Probe.connected(), origin.probe());
            Map<String, BlobItem> after = BlobOriginContract.listAll(origin, "");
            assertEquals(before, after, "every blob, ETag, time, metadata and tag survives a restart");
            for (Map.Entry<String, byte[]> e : put.entrySet()) {
                assertArrayEquals(e.getValue(), BlobOriginContract.read(origin, e.getKey(),
                        after.get(e.getKey()).etag(), 0, 100));
            }
        }
    }
}
