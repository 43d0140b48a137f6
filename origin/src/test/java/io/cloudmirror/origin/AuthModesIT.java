package io.cloudmirror.origin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.PublicAccessType;
import com.azure.storage.blob.sas.BlobContainerSasPermission;
import com.azure.storage.blob.sas.BlobServiceSasSignatureValues;
import com.azure.storage.common.sas.AccountSasPermission;
import com.azure.storage.common.sas.AccountSasResourceType;
import com.azure.storage.common.sas.AccountSasService;
import com.azure.storage.common.sas.AccountSasSignatureValues;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every authentication mode against Azurite over HTTPS with {@code --oauth basic}: each one probes Connected,
 * lists the container and reads a blob. Identity modes get their tokens from a local {@link TokenServer};
 * managed identity runs in a child JVM because azure-identity reads its endpoint from the process environment.
 * SAS tokens with too few permissions fail with a reason that names what is missing.
 */
class AuthModesIT {

    @RegisterExtension
    static final Azurite AZURITE = Azurite.withOAuth();

    private static final String CONTAINER = "media";
    private static final String PUBLIC = "public";
    private static final String BEE = "a/b.txt";
    private static final String BEE_SHA = sha256("bee".getBytes(StandardCharsets.UTF_8));

    private static TokenServer tokens;

    @TempDir
    Path tmp;

    private final List<String> secrets = new ArrayList<>(List.of(Azurite.ACCOUNT_KEY));
    private final List<String> texts = new ArrayList<>();

    @BeforeAll
    static void fixtures() {
        tokens = TokenServer.start();
        for (String name : List.of(CONTAINER, PUBLIC)) {
            BlobContainerClient c = AZURITE.createContainer(name);
            c.getBlobClient(BEE).upload(BinaryData.fromString("bee"));
            c.getBlobClient("c.txt").upload(BinaryData.fromString("sea"));
        }
        AZURITE.container(PUBLIC).setAccessPolicy(PublicAccessType.CONTAINER, null);
    }

    @AfterAll
    static void stopTokens() {
        tokens.close();
    }

    @AfterEach
    void noSecretInAnyMessage() {
        List<String> all = new ArrayList<>(secrets);
        all.addAll(tokens.issuedTokens());
        for (String text : texts) {
            for (String secret : all) {
                assertFalse(text.contains(secret), "a secret leaked into: " + text);
            }
        }
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private AzureBlobOrigin origin(String container, AzureCredential credential) {
        return AzureBlobOrigin.create(AzureSettings.of(AZURITE.endpoint(), container, credential, false));
    }

    /** Probes, lists and reads {@value #BEE} through {@code origin}. */
    private void assertListsAndReads(BlobOrigin origin) throws OriginException {
        Probe p = origin.probe();
        texts.add(p.detail());
        assertEquals(Probe.connected(), p);
        Map<String, BlobItem> listed = new HashMap<>();
        origin.list("", item -> listed.put(item.name(), item));
        assertEquals(List.of(BEE, "c.txt"), listed.keySet().stream().sorted().toList());
        byte[] got = new byte[3];
        assertEquals(3, origin.read(BEE, listed.get(BEE).etag(), 0, ByteBuffer.wrap(got)));
        assertArrayEquals("bee".getBytes(StandardCharsets.UTF_8), got);
    }

    private OriginException.Denied denied(org.junit.jupiter.api.function.Executable call) {
        OriginException.Denied e = assertThrows(OriginException.Denied.class, call);
        texts.add(e.getMessage());
        assertEquals(BackendConnection.UNAUTHORIZED, e.connection());
        return e;
    }

    // --------------------------------------------------------------------------------- secret modes

    @Test
    void accountKey() throws Exception {
        try (AzureBlobOrigin o = origin(CONTAINER, new AzureCredential.AccountKey(Azurite.ACCOUNT_NAME,
                Azurite.ACCOUNT_KEY))) {
            assertListsAndReads(o);
        }
    }

    @Test
    void connectionString() throws Exception {
        try (AzureBlobOrigin o = origin(CONTAINER, new AzureCredential.ConnectionString(AZURITE.connectionString()))) {
            assertListsAndReads(o);
        }
    }

    @Test
    void anonymousOnAPublicContainer() throws Exception {
        try (AzureBlobOrigin o = origin(PUBLIC, new AzureCredential.Anonymous())) {
            assertListsAndReads(o);
        }
        try (AzureBlobOrigin o = origin(CONTAINER, new AzureCredential.Anonymous())) {
            OriginException e = assertThrows(OriginException.class, () -> o.list("", i -> { }));
            texts.add(e.getMessage());
            assertTrue(e instanceof OriginException.Denied || e instanceof OriginException.ContainerMissing,
                    "a private container is not readable anonymously: " + e);
        }
    }

    private String containerSas(String permissions, OffsetDateTime expiry) {
        String sas = AZURITE.container(CONTAINER).generateSas(new BlobServiceSasSignatureValues(expiry,
                BlobContainerSasPermission.parse(permissions)));
        secrets.add(sas);
        secrets.add(java.net.URLDecoder.decode(sas.replaceAll(".*\\bsig=([^&]*).*", "$1"), StandardCharsets.UTF_8));
        return sas;
    }

    private String accountSas(String permissions, String resourceTypes) {
        String sas = AZURITE.serviceClient().generateAccountSas(new AccountSasSignatureValues(
                OffsetDateTime.now().plusHours(1), AccountSasPermission.parse(permissions),
                new AccountSasService().setBlobAccess(true), AccountSasResourceType.parse(resourceTypes)));
        secrets.add(sas);
        return sas;
    }

    @Test
    void serviceSasWithReadAndListWorks() throws Exception {
        try (AzureBlobOrigin o = origin(CONTAINER, new AzureCredential.Sas("?" + containerSas("rl",
                OffsetDateTime.now().plusHours(1))))) {
            assertListsAndReads(o);
        }
    }

    @Test
    void accountSasWithReadAndListWorks() throws Exception {
        try (AzureBlobOrigin o = origin(CONTAINER, new AzureCredential.Sas(accountSas("rl", "co")))) {
            assertListsAndReads(o);
        }
    }

    @Test
    void sasWithoutListPermissionSaysSo() throws Exception {
        try (AzureBlobOrigin o = origin(CONTAINER, new AzureCredential.Sas(containerSas("r",
                OffsetDateTime.now().plusHours(1))))) {
            OriginException.Denied e = denied(() -> o.list("", i -> { }));
            assertTrue(e.getMessage().contains("listing devstoreaccount1/media: HTTP 403 AuthorizationPermissionMismatch"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("the SAS grants permissions \"r\" (sp=r), but listing the container "
                    + "needs l (list)"), e.getMessage());
            Probe p = o.probe();
            texts.add(p.detail());
            assertEquals(BackendConnection.UNAUTHORIZED, p.connection());
            assertTrue(p.detail().contains("needs l (list)"), p.detail());
        }
        String etag = AZURITE.container(CONTAINER).getBlobClient(BEE).getProperties().getETag();
        try (AzureBlobOrigin o = origin(CONTAINER, new AzureCredential.Sas(containerSas("l",
                OffsetDateTime.now().plusHours(1))))) {
            o.list("", i -> { }); // listing alone is allowed
            OriginException.Denied e = denied(() -> o.read(BEE, etag, 0, ByteBuffer.allocate(3)));
            assertTrue(e.getMessage().contains("(sp=l), but reading a blob needs r (read)"), e.getMessage());
        }
    }

    @Test
    void accountSasWithoutContainerResourceTypeSaysSo() throws Exception {
        try (AzureBlobOrigin o = origin(CONTAINER, new AzureCredential.Sas(accountSas("rl", "o")))) {
            OriginException.Denied e = denied(() -> o.list("", i -> { }));
            assertTrue(e.getMessage().contains("covers resource types \"o\" (srt), but listing the container needs "
                    + "c (container)"), e.getMessage());
        }
    }

    @Test
    void expiredSasSaysSo() throws Exception {
        String sas = containerSas("rl", OffsetDateTime.now().minusMinutes(5));
        try (AzureBlobOrigin o = origin(CONTAINER, new AzureCredential.Sas(sas))) {
            OriginException.Denied e = denied(() -> o.list("", i -> { }));
            assertTrue(e.getMessage().contains("listing devstoreaccount1/media: HTTP 403 "), e.getMessage());
            assertTrue(e.getMessage().contains(": the SAS expired at "), e.getMessage());
        }
    }

    // --------------------------------------------------------------------------------- identity modes

    @Test
    void workloadIdentity() throws Exception {
        Path tokenFile = tmp.resolve("azure-identity-token");
        String federated = tokens.jwt("api://AzureADTokenExchange", java.time.Instant.now().plusSeconds(3600), "");
        Files.writeString(tokenFile, federated);
        secrets.add(federated);
        String clientId = UUID.randomUUID().toString();
        int before = tokens.requests("aad").size();
        try (AzureBlobOrigin o = origin(CONTAINER, new AzureCredential.WorkloadIdentity(tokens.tenant(), clientId,
                tokenFile, tokens.authorityHost()))) {
            assertListsAndReads(o);
        }
        List<TokenServer.Request> requests = tokens.requests("aad");
        assertEquals(before + 1, requests.size(), "one token for the probe, the listing and the read");
        TokenServer.Request r = requests.get(requests.size() - 1);
        assertEquals(clientId, r.form().get("client_id"));
        assertEquals(federated, r.form().get("client_assertion"), "the federated token is the client assertion");
        assertTrue(r.form().get("scope").startsWith("https://storage.azure.com/.default"), r.form().toString());
    }

    @Test
    void workloadIdentityWithAWrongAudienceOrExpiredTokenIsUnauthorized() throws Exception {
        Path tokenFile = tmp.resolve("azure-identity-token");
        Files.writeString(tokenFile, "federated-" + UUID.randomUUID());
        AzureCredential wi = new AzureCredential.WorkloadIdentity(tokens.tenant(), UUID.randomUUID().toString(),
                tokenFile, tokens.authorityHost());
        try {
            tokens.behave(TokenServer.Behaviour.WRONG_AUDIENCE);
            try (AzureBlobOrigin o = origin(CONTAINER, wi)) {
                OriginException.Denied e = denied(() -> o.list("", i -> { }));
                assertTrue(e.getMessage().contains("HTTP 403 AuthenticationFailed (Invalid token audience.): the "
                        + "storage service refused the WORKLOAD_IDENTITY token"), e.getMessage());
            }
            tokens.behave(TokenServer.Behaviour.EXPIRED);
            try (AzureBlobOrigin o = origin(CONTAINER, wi)) {
                Probe p = o.probe();
                texts.add(p.detail());
                assertEquals(BackendConnection.UNAUTHORIZED, p.connection());
                assertTrue(p.detail().contains("(Lifetime validation failed. The token is expired.)"), p.detail());
            }
            tokens.behave(TokenServer.Behaviour.REFUSE);
            try (AzureBlobOrigin o = origin(CONTAINER, wi)) {
                OriginException.Denied e = denied(() -> o.list("", i -> { }));
                assertTrue(e.getMessage().contains("listing devstoreaccount1/media: no WORKLOAD_IDENTITY token: "
                        + "HTTP 400 AADSTS70021: No matching federated identity record found"), e.getMessage());
            }
        } finally {
            tokens.behave(TokenServer.Behaviour.HEALTHY);
        }
    }

    private void managedIdentity(String name, Map<String, String> env, String clientId, String flow) {
        int before = tokens.requests(flow).size();
        try (OriginProcess p = OriginProcess.managedIdentity(AZURITE.endpoint().toString(), CONTAINER, clientId, env,
                tmp.resolve(name + ".log"))) {
            assertEquals("OK probe Connected", p.call("probe"), p.logText());
            assertEquals("OK list 2", p.call("list"));
            assertEquals("OK read " + BEE_SHA, p.call("read " + BEE));
        }
        List<TokenServer.Request> requests = tokens.requests(flow);
        assertTrue(requests.size() > before, "the " + flow + " endpoint issued the token");
        TokenServer.Request last = requests.get(requests.size() - 1);
        assertEquals("https://storage.azure.com", last.query().get("resource"));
        assertEquals(clientId.isEmpty() ? null : clientId, last.query().get("client_id"));
    }

    @Test
    void managedIdentityAppService() {
        managedIdentity("appservice", tokens.appServiceEnvironment(), "", "appservice");
        TokenServer.Request r = tokens.requests("appservice").get(tokens.requests("appservice").size() - 1);
        assertEquals(tokens.identityHeader(), r.headers().get("x-identity-header"));
    }

    @Test
    void managedIdentityUserAssignedClientId() {
        String clientId = UUID.randomUUID().toString();
        managedIdentity("user-assigned", tokens.appServiceEnvironment(), clientId, "appservice");
    }

    @Test
    void managedIdentityAzureArcChallenge() {
        managedIdentity("arc", tokens.arcEnvironment(), "", "arc");
        List<TokenServer.Request> arc = tokens.requests("arc");
        TokenServer.Request challenge = arc.get(arc.size() - 2);
        TokenServer.Request answer = arc.get(arc.size() - 1);
        assertEquals(null, challenge.headers().get("authorization"), "the first request is challenged");
        assertEquals("Basic " + tokens.arcSecret(), answer.headers().get("authorization"),
                "the retry sends the content of the key file the challenge named");
    }

    @Test
    void managedIdentityImds() {
        managedIdentity("imds", tokens.imdsEnvironment(), "", "imds");
        TokenServer.Request r = tokens.requests("imds").get(tokens.requests("imds").size() - 1);
        assertEquals("true", r.headers().get("metadata"));
    }

    @Test
    void managedIdentityWithAWrongAudienceIsUnauthorized() {
        tokens.behave(TokenServer.Behaviour.WRONG_AUDIENCE);
        try (OriginProcess p = OriginProcess.managedIdentity(AZURITE.endpoint().toString(), CONTAINER, "",
                tokens.appServiceEnvironment(), tmp.resolve("wrong-audience.log"))) {
            String answer = p.call("list");
            texts.add(answer);
            assertTrue(answer.startsWith("ERR Denied Unauthorized listing devstoreaccount1/media: HTTP 403 "
                    + "AuthenticationFailed (Invalid token audience.): the storage service refused the "
                    + "MANAGED_IDENTITY token"), answer);
        } finally {
            tokens.behave(TokenServer.Behaviour.HEALTHY);
        }
    }

    @Test
    void bearerTokensAreRefusedOverHttp() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AzureBlobOrigin.create(
                AzureSettings.of(java.net.URI.create("http://127.0.0.1:1/devstoreaccount1/"), CONTAINER,
                        new AzureCredential.ManagedIdentity(""), false)));
        assertTrue(e.getMessage().contains("MANAGED_IDENTITY authenticates with bearer tokens, which Azure Storage "
                + "accepts only over https"), e.getMessage());
    }
}
