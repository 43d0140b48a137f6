package io.cloudmirror.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import io.cloudmirror.config.ConfigLoader;
import io.cloudmirror.config.SubvolumeConfig;
import io.cloudmirror.index.Generation;
import io.cloudmirror.index.GenerationStats;
import io.cloudmirror.index.IndexStore;
import io.cloudmirror.origin.Azurite;
import io.cloudmirror.origin.BackendConnection;
import io.cloudmirror.origin.BlobOrigin;
import io.cloudmirror.origin.OriginException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** A configuration's authentication reaches Azurite, and a sync lists it into the index. */
class OriginsIT {

    @RegisterExtension
    static final Azurite AZURITE = new Azurite();

    @TempDir
    Path tmp;

    @BeforeAll
    static void upload() {
        var c = AZURITE.createContainer("media");
        c.getBlobClient("a/b.txt").upload(BinaryData.fromString("bee"));
        c.getBlobClient("c.txt").upload(BinaryData.fromString("sea"));
    }

    private SubvolumeConfig config(String auth, Map<String, String> env) throws Exception {
        Path yaml = tmp.resolve("media.yaml");
        Files.writeString(yaml, """
                apiVersion: arccontainerstorage.azure.net/v1
                kind: MirrorSubvolume
                metadata:
                  name: media
                spec:
                  path: mirrorSubDir
                  authentication:
                %s
                  blobAccount:
                    accountEndpoint: "%s"
                    containerName: media
                  schedule:
                    frequency: never
                """.formatted(auth.indent(4).stripTrailing(), AZURITE.endpoint()));
        return new ConfigLoader(env::get, tmp.resolve("cache")).load(yaml).subvolumes().get(0);
    }

    @Test
    void accountKeyFromAFile() throws Exception {
        Files.writeString(tmp.resolve("key"), AZURITE.accountKey() + "\n");
        SubvolumeConfig c = config("authType: ACCOUNT_KEY\nsecretFile: key", Map.of());
        try (BlobOrigin o = Origins.open(c, Map.<String, String>of()::get)) {
            assertEquals(BackendConnection.CONNECTED, o.probe().connection());
            assertEquals("devstoreaccount1/media", o.displayName());
        }
    }

    @Test
    void connectionStringFromAnEnvironmentVariable() throws Exception {
        Map<String, String> env = Map.of("MEDIA_CONN", AZURITE.connectionString());
        SubvolumeConfig c = config("authType: CONNECTION_STRING\nsecretEnv: MEDIA_CONN", env);
        try (BlobOrigin o = Origins.open(c, env::get)) {
            assertEquals(BackendConnection.CONNECTED, o.probe().connection());
        }
    }

    @Test
    void accountKeyFromAnEnvironmentVariableAndAWrongOne() throws Exception {
        Map<String, String> env = Map.of("KEY", AZURITE.accountKey(), "BAD",
                "d3JvbmcgYnV0IHdlbGwgZm9ybWVkIGtleSB3cm9uZyBrZXkgd3Jvbmcga2V5IQ==");
        try (BlobOrigin o = Origins.open(config("authType: ACCOUNT_KEY\nsecretEnv: KEY", env), env::get)) {
            assertEquals(BackendConnection.CONNECTED, o.probe().connection());
        }
        try (BlobOrigin o = Origins.open(config("authType: ACCOUNT_KEY\nsecretEnv: BAD", env), env::get)) {
            assertEquals(BackendConnection.UNAUTHORIZED, o.probe().connection());
            OriginException e = assertThrows(OriginException.Denied.class, () -> o.list("", i -> { }));
            assertFalse(e.getMessage().contains(env.get("BAD")));
        }
    }

    @Test
    void syncListsTheContainerIntoTheIndex() throws Exception {
        Files.writeString(tmp.resolve("key"), AZURITE.accountKey());
        SubvolumeConfig c = config("authType: ACCOUNT_KEY\nsecretFile: key", Map.of());
        try (BlobOrigin o = Origins.open(c, Map.<String, String>of()::get);
             IndexStore index = IndexStore.open(tmp.resolve("index"), "media")) {
            Syncer syncer = new Syncer("media", o, "", index, Clock.systemUTC());
            GenerationStats stats = syncer.syncNow();
            assertEquals(2, stats.files());
            assertEquals(BackendConnection.CONNECTED, syncer.status().connection());
            assertTrue(syncer.status().lastSuccess().isPresent());
            Generation g = index.acquire();
            try {
                assertEquals(3, g.lookup("a/b.txt").size());
            } finally {
                g.release();
            }
        }
    }
}
