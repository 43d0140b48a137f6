package io.cloudmirror.origin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.PublicAccessType;
import com.azure.storage.common.sas.AccountSasPermission;
import com.azure.storage.common.sas.AccountSasResourceType;
import com.azure.storage.common.sas.AccountSasService;
import com.azure.storage.common.sas.AccountSasSignatureValues;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.function.Executable;

/** Azure-specific behaviour of {@link AzureBlobOrigin} on a real Azurite: failure kinds, bounds, secrets. */
class AzureBlobOriginIT {

    @RegisterExtension
    static final Azurite AZURITE = new Azurite();

    /** A generous bound for any failure against a dead or silent endpoint on a loaded machine. */
    private static final Duration BOUND = Duration.ofSeconds(30);

    private static final AtomicInteger SEQ = new AtomicInteger();

    private static final InetAddress LOOPBACK = loopback();

    /** Every failure seen by a test, checked for leaked secrets afterwards. */
    private final List<Throwable> failures = new ArrayList<>();
    private final List<String> details = new ArrayList<>();
    private final List<String> secrets = new ArrayList<>(List.of(Azurite.ACCOUNT_KEY));

    @AfterEach
    void noSecretLeaked() {
        for (Throwable t : failures) {
            StringWriter trace = new StringWriter();
            t.printStackTrace(new PrintWriter(trace));
            for (String secret : secrets) {
                assertNoSecret(secret, t.getMessage(), "message of " + t.getClass().getSimpleName());
                assertNoSecret(secret, t.toString(), "toString of " + t.getClass().getSimpleName());
                assertNoSecret(secret, trace.toString(), "stack trace (with causes) of " + t.getClass().getSimpleName());
            }
        }
        for (String d : details) {
            for (String secret : secrets) {
                assertNoSecret(secret, d, "probe detail");
            }
        }
    }

    private static void assertNoSecret(String secret, String text, String where) {
        if (text == null) {
            return;
        }
        assertFalse(text.contains(secret), where + " contains a secret: " + text);
        String encoded = URLEncoder.encode(secret, StandardCharsets.UTF_8);
        assertFalse(text.contains(encoded), where + " contains a URL-encoded secret: " + text);
    }

    private static InetAddress loopback() {
        try {
            return InetAddress.getByAddress("127.0.0.1", new byte[] {127, 0, 0, 1});
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static String newContainerName() {
        return "it-" + SEQ.incrementAndGet() + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static String randomKey() {
        byte[] b = new byte[64];
        new SecureRandom().nextBytes(b);
        return Base64.getEncoder().encodeToString(b);
    }

    private <T extends OriginException> T expect(Class<T> kind, Executable call) {
        T e = assertThrows(kind, call);
        failures.add(e);
        return e;
    }

    private Probe probe(AzureBlobOrigin origin) {
        Probe p = origin.probe();
        details.add(p.detail());
        return p;
    }

    /** A container holding one blob {@code f}; returns its client. */
    private static BlobContainerClient containerWithBlob(String name, byte[] content) {
        BlobContainerClient c = AZURITE.createContainer(name);
        c.getBlobClient("f").upload(BinaryData.fromBytes(content));
        return c;
    }

    private static String etagOf(BlobOrigin origin, String name) throws OriginException {
        String[] etag = new String[1];
        origin.list(name, item -> {
            if (item.name().equals(name)) {
                etag[0] = item.etag();
            }
        });
        assertTrue(etag[0] != null, name + " not listed");
        return etag[0];
    }

    // --------------------------------------------------------------------------------- credentials

    @Test
    void wrongKeyIsUnauthorizedAndDenied() throws Exception {
        String container = newContainerName();
        containerWithBlob(container, new byte[] {1, 2, 3});
        String wrong = randomKey();
        secrets.add(wrong);
        AzureSettings settings = AzureSettings.of(AZURITE.endpoint(), container,
                new AzureCredential.AccountKey(Azurite.ACCOUNT_NAME, wrong), true);
        try (AzureBlobOrigin origin = AzureBlobOrigin.create(settings)) {
            Probe p = probe(origin);
            assertEquals(BackendConnection.UNAUTHORIZED, p.connection(), p.detail());
            assertFalse(p.detail().isBlank(), "a reason is given");
            expect(OriginException.Denied.class, () -> origin.list("", item -> { }));
            expect(OriginException.Denied.class, () -> origin.read("f", "\"0x1\"", 0, ByteBuffer.allocate(3)));
        }
        assertFalse(settings.toString().contains(wrong), "settings print their key: " + settings);
    }

    @Test
    void connectionStringCredentialWorks() throws Exception {
        String container = newContainerName();
        containerWithBlob(container, new byte[] {4, 5, 6});
        AzureSettings settings = AzureSettings.of(AZURITE.endpoint(), container,
                new AzureCredential.ConnectionString(AZURITE.connectionString()), false);
        try (AzureBlobOrigin origin = AzureBlobOrigin.create(settings)) {
            assertEquals(Probe.connected(), probe(origin));
            String etag = etagOf(origin, "f");
            ByteBuffer dst = ByteBuffer.allocate(10);
            assertEquals(3, origin.read("f", etag, 0, dst));
        }
        assertFalse(settings.toString().contains(Azurite.ACCOUNT_KEY), "settings print the connection string");
    }

    @Test
    void sasCredentialWorksAndItsSignatureNeverLeaks() throws Exception {
        String container = newContainerName();
        containerWithBlob(container, new byte[] {7, 8, 9, 10});
        String sas = AZURITE.serviceClient().generateAccountSas(new AccountSasSignatureValues(
                OffsetDateTime.now().plusHours(1), AccountSasPermission.parse("rl"),
                new AccountSasService().setBlobAccess(true),
                new AccountSasResourceType().setContainer(true).setObject(true)));
        String sig = java.net.URLDecoder.decode(sas.replaceAll(".*\\bsig=([^&]*).*", "$1"), StandardCharsets.UTF_8);
        secrets.add(sig);
        secrets.add(sas);
        try (AzureBlobOrigin origin = AzureBlobOrigin.create(AzureSettings.of(AZURITE.endpoint(), container,
                new AzureCredential.Sas("?" + sas), false))) {
            assertEquals(Probe.connected(), probe(origin));
            String etag = etagOf(origin, "f");
            byte[] got = new byte[4];
            assertEquals(4, origin.read("f", etag, 0, ByteBuffer.wrap(got)));
            assertArrayEquals(new byte[] {7, 8, 9, 10}, got);
        }
        try (AzureBlobOrigin missing = AzureBlobOrigin.create(AzureSettings.of(AZURITE.endpoint(), newContainerName(),
                new AzureCredential.Sas(sas), false))) {
            expect(OriginException.ContainerMissing.class, () -> missing.list("", item -> { }));
            expect(OriginException.ContainerMissing.class,
                    () -> missing.read("f", "\"0x1\"", 0, ByteBuffer.allocate(1)));
        }
    }

    @Test
    void anonymousCredentialReadsAPublicContainer() throws Exception {
        String container = newContainerName();
        containerWithBlob(container, new byte[] {42}).setAccessPolicy(PublicAccessType.CONTAINER, null);
        try (AzureBlobOrigin origin = AzureBlobOrigin.create(AzureSettings.of(AZURITE.endpoint(), container,
                new AzureCredential.Anonymous(), false))) {
            assertEquals(Probe.connected(), probe(origin));
            String etag = etagOf(origin, "f");
            ByteBuffer dst = ByteBuffer.allocate(4);
            assertEquals(1, origin.read("f", etag, 0, dst));
            assertEquals(42, dst.get(0));
        }
    }

    // --------------------------------------------------------------------------------- not found

    @Test
    void missingContainerIsNotFoundAndContainerMissing() throws Exception {
        String container = newContainerName();
        try (AzureBlobOrigin origin = AzureBlobOrigin.create(AZURITE.settings(container, true))) {
            Probe p = probe(origin);
            assertEquals(BackendConnection.NOT_FOUND, p.connection(), p.detail());
            assertTrue(p.detail().contains(container), "the detail names the container: " + p.detail());
            expect(OriginException.ContainerMissing.class, () -> origin.list("", item -> { }));
            expect(OriginException.ContainerMissing.class, () -> origin.list("some/prefix", item -> { }));
            expect(OriginException.ContainerMissing.class,
                    () -> origin.read("f", "\"0x8D000000000001\"", 0, ByteBuffer.allocate(8)));
        }
    }

    @Test
    void containerDeletedUnderAnOriginIsContainerMissing() throws Exception {
        String container = newContainerName();
        BlobContainerClient client = containerWithBlob(container, new byte[] {1});
        try (AzureBlobOrigin origin = AzureBlobOrigin.create(AZURITE.settings(container, false))) {
            String etag = etagOf(origin, "f");
            client.delete();
            assertEquals(BackendConnection.NOT_FOUND, probe(origin).connection());
            expect(OriginException.ContainerMissing.class, () -> origin.list("", item -> { }));
            expect(OriginException.ContainerMissing.class, () -> origin.read("f", etag, 0, ByteBuffer.allocate(1)));
        }
    }

    // --------------------------------------------------------------------------------- unreachable

    @Test
    void refusedPortIsDisconnectedWithinABoundedTime() throws Exception {
        int dead;
        try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK)) {
            dead = s.getLocalPort();
        }
        URI endpoint = URI.create("http://127.0.0.1:" + dead + "/" + Azurite.ACCOUNT_NAME + "/");
        try (AzureBlobOrigin origin = AzureBlobOrigin.create(AzureSettings.of(endpoint, "media",
                new AzureCredential.AccountKey(Azurite.ACCOUNT_NAME, Azurite.ACCOUNT_KEY), true))) {
            long t0 = System.nanoTime();
            Probe p = probe(origin);
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            assertEquals(BackendConnection.DISCONNECTED, p.connection(), p.detail());
            assertTrue(took.compareTo(BOUND) < 0, "probe of a refused port took " + took);

            t0 = System.nanoTime();
            expect(OriginException.Unreachable.class, () -> origin.list("", item -> { }));
            took = Duration.ofNanos(System.nanoTime() - t0);
            assertTrue(took.compareTo(BOUND) < 0, "listing a refused port took " + took);

            t0 = System.nanoTime();
            expect(OriginException.Unreachable.class, () -> origin.read("f", "\"0x1\"", 0, ByteBuffer.allocate(8)));
            took = Duration.ofNanos(System.nanoTime() - t0);
            assertTrue(took.compareTo(BOUND) < 0, "reading from a refused port took " + took);
        }
    }

    @Test
    void silentServerIsDisconnectedWithinABoundedTime() throws Exception {
        // Accepts TCP connections (the kernel does, into the backlog) but never answers: a hung origin.
        try (ServerSocket silent = new ServerSocket()) {
            silent.bind(new InetSocketAddress(LOOPBACK, 0), 50);
            URI endpoint = URI.create("http://127.0.0.1:" + silent.getLocalPort() + "/" + Azurite.ACCOUNT_NAME + "/");
            AzureCredential key = new AzureCredential.AccountKey(Azurite.ACCOUNT_NAME, Azurite.ACCOUNT_KEY);

            // With the default settings (what `cloudmirror status` uses) a probe is bounded by one try timeout.
            try (AzureBlobOrigin origin = AzureBlobOrigin.create(AzureSettings.of(endpoint, "media", key, false))) {
                long t0 = System.nanoTime();
                Probe p = probe(origin);
                Duration took = Duration.ofNanos(System.nanoTime() - t0);
                assertEquals(BackendConnection.DISCONNECTED, p.connection(), p.detail());
                assertTrue(took.compareTo(BOUND) < 0, "probe of a silent server took " + took);
            }
            // Listing and reading are bounded by tries x try timeout.
            AzureSettings quick = new AzureSettings(endpoint, "media", key, false, Duration.ofSeconds(2),
                    Duration.ofSeconds(3), 2);
            try (AzureBlobOrigin origin = AzureBlobOrigin.create(quick)) {
                long t0 = System.nanoTime();
                expect(OriginException.Unreachable.class, () -> origin.list("", item -> { }));
                Duration took = Duration.ofNanos(System.nanoTime() - t0);
                assertTrue(took.compareTo(BOUND) < 0, "listing a silent server took " + took);

                t0 = System.nanoTime();
                expect(OriginException.Unreachable.class, () -> origin.read("f", "\"0x1\"", 0, ByteBuffer.allocate(8)));
                took = Duration.ofNanos(System.nanoTime() - t0);
                assertTrue(took.compareTo(BOUND) < 0, "reading from a silent server took " + took);
            }
        }
    }

    // --------------------------------------------------------------------------------- misc

    @Test
    void displayNameIsAccountSlashContainerWithoutSecrets() {
        String container = newContainerName();
        try (AzureBlobOrigin origin = AzureBlobOrigin.create(AZURITE.settings(container, false))) {
            assertEquals(Azurite.ACCOUNT_NAME + "/" + container, origin.displayName());
        }
    }

    @Test
    void readsBuildNoSdkClientAndAListingBuildsOne() throws Exception {
        String container = newContainerName();
        BlobContainerClient client = containerWithBlob(container, new byte[] {7, 8, 9});
        String etag = client.getBlobClient("f").getProperties().getETag();
        try (AzureBlobOrigin origin = AzureBlobOrigin.create(AZURITE.settings(container, false))) {
            ByteBuffer dst = ByteBuffer.allocate(3);
            assertEquals(3, origin.read("f", etag, 0, dst));
            assertArrayEquals(new byte[] {7, 8, 9}, dst.array());
            assertFalse(origin.sdkBuilt(), "a read built the SDK's client");
            assertEquals(etag, etagOf(origin, "f"));
            assertTrue(origin.sdkBuilt(), "a listing goes through the SDK");
        }
    }

    @Test
    void accountKeyCredentialNeverPrintsItsKey() {
        AzureCredential.AccountKey key = new AzureCredential.AccountKey(Azurite.ACCOUNT_NAME, Azurite.ACCOUNT_KEY);
        assertFalse(key.toString().contains(Azurite.ACCOUNT_KEY), key.toString());
        assertTrue(key.toString().contains(Redactor.MASK), key.toString());
        AzureSettings settings = AZURITE.settings("media", true);
        assertFalse(settings.toString().contains(Azurite.ACCOUNT_KEY), settings.toString());
        assertEquals(Redactor.MASK, Redactor.redact(Azurite.ACCOUNT_KEY), "a used key is registered for redaction");
        assertFalse(Redactor.redact(AZURITE.connectionString()).contains(Azurite.ACCOUNT_KEY));
    }
}
