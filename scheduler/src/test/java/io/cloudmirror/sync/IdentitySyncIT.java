package io.cloudmirror.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import io.cloudmirror.config.ConfigLoader;
import io.cloudmirror.config.SubvolumeConfig;
import io.cloudmirror.index.Generation;
import io.cloudmirror.index.IndexStore;
import io.cloudmirror.origin.Azurite;
import io.cloudmirror.origin.BackendConnection;
import io.cloudmirror.origin.BlobOrigin;
import io.cloudmirror.origin.OriginException;
import io.cloudmirror.origin.Probe;
import io.cloudmirror.origin.TokenServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A WORKLOAD_IDENTITY subvolume, configured as a user writes it and resolved from an injected environment as
 * the daemon resolves it from its own, syncs from Azurite over HTTPS; when the identity is revoked a sync fails
 * Unauthorized with the reason in the status while the published tree stays served, and the next sync after
 * the identity is healthy again succeeds.
 */
class IdentitySyncIT {

    @RegisterExtension
    static final Azurite AZURITE = Azurite.withOAuth();

    private static TokenServer tokens;

    @TempDir
    Path tmp;

    @BeforeAll
    static void fixtures() {
        tokens = TokenServer.start();
        var c = AZURITE.createContainer("media");
        c.getBlobClient("a/b.txt").upload(BinaryData.fromString("bee"));
        c.getBlobClient("c.txt").upload(BinaryData.fromString("sea"));
    }

    @AfterAll
    static void stopTokens() {
        tokens.close();
    }

    private SubvolumeConfig config(Map<String, String> env) throws Exception {
        Path yaml = tmp.resolve("media.yaml");
        Files.writeString(yaml, """
                apiVersion: arccontainerstorage.azure.net/v1
                kind: MirrorSubvolume
                metadata:
                  name: media
                spec:
                  path: mirrorSubDir
                  authentication:
                    authType: WORKLOAD_IDENTITY
                  blobAccount:
                    accountEndpoint: "%s"
                    containerName: media
                  schedule:
                    frequency: never
                """.formatted(AZURITE.endpoint()));
        return new ConfigLoader(env::get, tmp.resolve("cache")).load(yaml).subvolumes().get(0);
    }

    @Test
    void revokedIdentityFailsTheSyncUnauthorizedKeepsTheTreeAndRecovers() throws Exception {
        Path tokenFile = tmp.resolve("azure-identity-token");
        Files.writeString(tokenFile, "federated-" + UUID.randomUUID());
        Map<String, String> env = Map.of("AZURE_TENANT_ID", tokens.tenant(),
                "AZURE_CLIENT_ID", UUID.randomUUID().toString(),
                "AZURE_FEDERATED_TOKEN_FILE", tokenFile.toString(),
                "AZURE_AUTHORITY_HOST", tokens.authorityHost().toString());
        SubvolumeConfig c = config(env);
        try (BlobOrigin o = Origins.open(c, env::get);
             IndexStore index = IndexStore.open(tmp.resolve("index"), "media")) {
            Syncer syncer = new Syncer("media", o, "", index, Clock.systemUTC());
            assertEquals(2, syncer.syncNow().files());
            assertEquals(BackendConnection.CONNECTED, syncer.status().connection());
            long generation = index.currentStats().number();

            // From now on the authority refuses the federation: once the token in hand expires, syncs fail.
            tokens.lifetime(Duration.ofSeconds(40));
            tokens.behave(TokenServer.Behaviour.REFUSE);
            try {
                // The token of the first sync lives an hour: a fresh origin (as after a restart) meets the refusal.
                try (BlobOrigin revoked = Origins.open(c, env::get)) {
                    Syncer s2 = new Syncer("media", revoked, "", index, Clock.systemUTC());
                    OriginException e = assertThrows(OriginException.Denied.class, s2::syncNow);
                    SyncStatus status = s2.status();
                    assertEquals(BackendConnection.UNAUTHORIZED, status.connection());
                    assertEquals(e.getMessage(), status.lastError());
                    assertTrue(status.lastError().contains("listing devstoreaccount1/media: no WORKLOAD_IDENTITY "
                            + "token: HTTP 400 AADSTS70021: No matching federated identity record found"),
                            status.lastError());
                    Probe p = revoked.probe();
                    assertEquals(BackendConnection.UNAUTHORIZED, p.connection(), p.detail());
                    assertTrue(p.detail().contains("AADSTS70021"), p.detail());
                    assertEquals(generation, index.currentStats().number(), "the published tree is untouched");
                    assertTreeServed(index);

                    tokens.behave(TokenServer.Behaviour.HEALTHY);
                    assertEquals(2, s2.syncNow().files(), "the next sync succeeds without a restart");
                    assertEquals(BackendConnection.CONNECTED, s2.status().connection());
                    assertEquals("", s2.status().lastError());
                }
            } finally {
                tokens.behave(TokenServer.Behaviour.HEALTHY);
                tokens.lifetime(Duration.ofHours(1));
            }
            assertFalse(syncer.status().lastError().contains("eyJ"));
        }
    }

    private static void assertTreeServed(IndexStore index) {
        Generation g = index.acquire();
        try {
            assertEquals(3, g.lookup("a/b.txt").size());
            assertEquals(3, g.lookup("c.txt").size());
        } finally {
            g.release();
        }
    }

    @Test
    void missingWorkloadIdentityEnvironmentFailsTheOpenNamingWhatIsMissing() throws Exception {
        SubvolumeConfig c = config(Map.of());
        IOException e = assertThrows(IOException.class, () -> Origins.open(c, Map.<String, String>of()::get));
        assertTrue(e.getMessage().startsWith("media: authType WORKLOAD_IDENTITY needs AZURE_TENANT_ID, AZURE_CLIENT_ID "
                + "and AZURE_FEDERATED_TOKEN_FILE in the daemon's environment"), e.getMessage());
        assertTrue(e.getMessage().endsWith("not set: AZURE_TENANT_ID, AZURE_CLIENT_ID (or spec.authentication.clientId), "
                + "AZURE_FEDERATED_TOKEN_FILE"), e.getMessage());
    }
}
