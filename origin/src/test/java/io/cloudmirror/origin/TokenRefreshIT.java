package io.cloudmirror.origin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Short-lived tokens over long work: a run of listings and reads that outlasts several token lifetimes keeps
 * working (Azurite refuses expired tokens, so every success shows a refresh happened in time); a rotated
 * federated token file is read again; a revoked credential turns the origin Unauthorized with the reason, and
 * it recovers by itself once the identity is healthy again. azure-core refreshes a token that expires within
 * five minutes at most every 30 s, so with 40 s tokens every run crosses several refreshes.
 */
class TokenRefreshIT {

    @RegisterExtension
    static final Azurite AZURITE = Azurite.withOAuth();

    private static final Duration LIFETIME = Duration.ofSeconds(40);
    /** Longer than two token lifetimes. */
    private static final Duration LONG_RUN = Duration.ofSeconds(95);
    /** Generous: the old token must expire or the 30 s refresh delay pass, on a loaded machine. */
    private static final Duration SETTLE = Duration.ofSeconds(150);

    private static TokenServer tokens;
    private static String etag;

    @TempDir
    Path tmp;

    @BeforeAll
    static void fixtures() {
        tokens = TokenServer.start();
        var c = AZURITE.createContainer("media");
        c.getBlobClient("a/b.txt").upload(BinaryData.fromString("bee"));
        etag = c.getBlobClient("a/b.txt").getProperties().getETag();
    }

    @AfterAll
    static void stopTokens() {
        tokens.close();
    }

    @AfterEach
    void healthy() {
        tokens.behave(TokenServer.Behaviour.HEALTHY);
        tokens.lifetime(Duration.ofHours(1));
        tokens.expectAssertion(null);
    }

    private static void listAndRead(BlobOrigin o) throws OriginException {
        long[] n = new long[1];
        o.list("", i -> n[0]++);
        assertEquals(1, n[0]);
        byte[] b = new byte[3];
        assertEquals(3, o.read("a/b.txt", etag, 0, ByteBuffer.wrap(b)));
        assertArrayEquals("bee".getBytes(StandardCharsets.UTF_8), b);
    }

    /** Polls {@code condition} every second until it holds or {@code bound} passes; returns the last value. */
    private static <T> T await(Duration bound, Supplier<T> value, java.util.function.Predicate<T> condition) {
        long deadline = System.nanoTime() + bound.toNanos();
        T last = value.get();
        while (!condition.test(last) && System.nanoTime() < deadline) {
            pause(Duration.ofSeconds(1));
            last = value.get();
        }
        return last;
    }

    private static void pause(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Test
    void workloadIdentityRefreshesBeforeExpiryAndRereadsTheRotatedTokenFile() throws Exception {
        tokens.lifetime(LIFETIME);
        Path tokenFile = tmp.resolve("token");
        String first = "federated-1-" + UUID.randomUUID();
        String second = "federated-2-" + UUID.randomUUID();
        Files.writeString(tokenFile, first);
        tokens.expectAssertion(first);
        int before = tokens.requests("aad").size();
        AzureCredential wi = new AzureCredential.WorkloadIdentity(tokens.tenant(), UUID.randomUUID().toString(),
                tokenFile, tokens.authorityHost());
        try (AzureBlobOrigin o = AzureBlobOrigin.create(AzureSettings.of(AZURITE.endpoint(), "media", wi, false))) {
            long start = System.nanoTime();
            boolean rotated = false;
            int rounds = 0;
            while (System.nanoTime() - start < LONG_RUN.toNanos()) {
                listAndRead(o);
                rounds++;
                if (!rotated && System.nanoTime() - start > Duration.ofSeconds(15).toNanos()) {
                    // The projected token rotates; the old one is refused from now on.
                    Files.writeString(tokenFile, second);
                    tokens.expectAssertion(second);
                    rotated = true;
                }
                pause(Duration.ofSeconds(3));
            }
            assertTrue(rounds >= 10, "rounds: " + rounds);
        }
        List<TokenServer.Request> requests = tokens.requests("aad").subList(before, tokens.requests("aad").size());
        assertTrue(requests.size() >= 3, "a token at the start and refreshes before expiry: " + requests.size());
        assertEquals(first, requests.get(0).form().get("client_assertion"));
        assertEquals(second, requests.get(requests.size() - 1).form().get("client_assertion"),
                "the rotated token file was read again");
    }

    @Test
    void workloadIdentityRevokedIsUnauthorizedWithTheReasonAndRecovers() throws Exception {
        tokens.lifetime(LIFETIME);
        Path tokenFile = tmp.resolve("token");
        Files.writeString(tokenFile, "federated-" + UUID.randomUUID());
        AzureCredential wi = new AzureCredential.WorkloadIdentity(tokens.tenant(), UUID.randomUUID().toString(),
                tokenFile, tokens.authorityHost());
        try (AzureBlobOrigin o = AzureBlobOrigin.create(AzureSettings.of(AZURITE.endpoint(), "media", wi, false))) {
            listAndRead(o);
            assertEquals(Probe.connected(), o.probe());

            // Revoked: the authority now only hands out tokens the storage service refuses.
            tokens.behave(TokenServer.Behaviour.WRONG_AUDIENCE);
            Probe p = await(SETTLE, o::probe, x -> x.connection() != BackendConnection.CONNECTED);
            assertEquals(BackendConnection.UNAUTHORIZED, p.connection(), p.detail());
            assertTrue(p.detail().contains("(Invalid token audience.): the storage service refused the "
                    + "WORKLOAD_IDENTITY token"), p.detail());
            OriginException.Denied e = assertThrows(OriginException.Denied.class, () -> listAndRead(o));
            assertTrue(e.getMessage().startsWith("listing devstoreaccount1/media: HTTP 403"), e.getMessage());

            // The federation is refused outright.
            tokens.behave(TokenServer.Behaviour.REFUSE);
            p = await(SETTLE, o::probe, x -> x.detail().contains("AADSTS70021"));
            assertEquals(BackendConnection.UNAUTHORIZED, p.connection(), p.detail());
            assertTrue(p.detail().contains("no WORKLOAD_IDENTITY token: HTTP 400 AADSTS70021"), p.detail());

            tokens.behave(TokenServer.Behaviour.HEALTHY);
            p = await(SETTLE, o::probe, x -> x.connection() == BackendConnection.CONNECTED);
            assertEquals(Probe.connected(), p, "recovered without a restart");
            listAndRead(o);
        }
        for (String token : tokens.issuedTokens()) {
            assertFalse(Redactor.redact("Authorization: Bearer " + token).contains(token));
        }
    }

    @Test
    void managedIdentityRefreshesBeforeExpiryThenIsUnauthorizedWhenRefusedAndRecovers() {
        tokens.lifetime(LIFETIME);
        int before = tokens.requests("appservice").size();
        try (OriginProcess p = OriginProcess.managedIdentity(AZURITE.endpoint().toString(), "media", "",
                tokens.appServiceEnvironment(), tmp.resolve("child.log"))) {
            long start = System.nanoTime();
            int rounds = 0;
            while (System.nanoTime() - start < LONG_RUN.toNanos()) {
                assertEquals("OK list 1", p.call("list"), p.logText());
                assertTrue(p.call("read a/b.txt").startsWith("OK read "));
                rounds++;
                pause(Duration.ofSeconds(3));
            }
            assertTrue(rounds >= 10, "rounds: " + rounds);
            int issued = tokens.requests("appservice").size() - before;
            assertTrue(issued >= 3, "a token at the start and refreshes before expiry: " + issued);

            // The identity is removed: refreshes fail, and once the last token expires so does every call.
            tokens.behave(TokenServer.Behaviour.REFUSE);
            String answer = await(SETTLE, () -> p.call("list"), a -> a.startsWith("ERR"));
            assertTrue(answer.startsWith("ERR Denied Unauthorized listing devstoreaccount1/media: no MANAGED_IDENTITY "
                    + "token: "), answer);
            assertTrue(answer.contains("Identity not found"), answer);

            tokens.behave(TokenServer.Behaviour.HEALTHY);
            answer = await(SETTLE, () -> p.call("probe"), a -> a.startsWith("OK"));
            assertEquals("OK probe Connected", answer, "recovered without a restart");
            assertEquals("OK list 1", p.call("list"));
        }
    }
}
