package io.cloudmirror.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cloudmirror.config.ConfigLoader;
import io.cloudmirror.config.SubvolumeConfig;
import io.cloudmirror.origin.AzureCredential;
import io.cloudmirror.origin.Redactor;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a subvolume's authentication becomes a credential: the environment it reads, the warnings it gives. */
class OriginsTest {

    @TempDir
    Path tmp;

    private final Map<String, String> env = new HashMap<>();
    private final List<String> warnings = new ArrayList<>();

    private SubvolumeConfig config(String auth) throws Exception {
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
                    accountEndpoint: "https://acct.blob.core.windows.net/"
                    containerName: media
                  schedule:
                    frequency: never
                """.formatted(auth.indent(4).stripTrailing()));
        return new ConfigLoader(env::get, tmp.resolve("cache")).load(yaml).subvolumes().get(0);
    }

    private AzureCredential credential(SubvolumeConfig c) throws IOException {
        return Origins.credential(c, env::get, warnings::add);
    }

    private Path tokenFile() throws IOException {
        Path f = tmp.resolve("token");
        Files.writeString(f, "federated");
        return f;
    }

    @Test
    void workloadIdentityComesFromTheEnvironmentTheWebhookSets() throws Exception {
        Path f = tokenFile();
        env.putAll(Map.of("AZURE_TENANT_ID", "tenant-1", "AZURE_CLIENT_ID", "client-1",
                "AZURE_FEDERATED_TOKEN_FILE", f.toString(), "AZURE_AUTHORITY_HOST", "https://login.microsoftonline.us/"));
        assertEquals(new AzureCredential.WorkloadIdentity("tenant-1", "client-1", f,
                URI.create("https://login.microsoftonline.us/")), credential(config("authType: WORKLOAD_IDENTITY")));
        env.remove("AZURE_AUTHORITY_HOST");
        assertEquals(AzureCredential.WorkloadIdentity.DEFAULT_AUTHORITY_HOST,
                ((AzureCredential.WorkloadIdentity) credential(config("authType: WORKLOAD_IDENTITY"))).authorityHost());
    }

    @Test
    void configuredClientIdWinsOverTheEnvironment() throws Exception {
        String id = UUID.randomUUID().toString();
        env.putAll(Map.of("AZURE_TENANT_ID", "t", "AZURE_CLIENT_ID", "from-env",
                "AZURE_FEDERATED_TOKEN_FILE", tokenFile().toString()));
        var wi = (AzureCredential.WorkloadIdentity) credential(config("authType: WORKLOAD_IDENTITY\nclientId: " + id));
        assertEquals(id, wi.clientId());
        env.remove("AZURE_CLIENT_ID");
        assertEquals(id, ((AzureCredential.WorkloadIdentity) credential(
                config("authType: WORKLOAD_IDENTITY\nclientId: " + id))).clientId(), "no AZURE_CLIENT_ID needed");
    }

    @Test
    void workloadIdentityProblemsAreNamed() throws Exception {
        SubvolumeConfig c = config("authType: WORKLOAD_IDENTITY");
        env.putAll(Map.of("AZURE_TENANT_ID", "t", "AZURE_CLIENT_ID", "c"));
        IOException e = assertThrows(IOException.class, () -> credential(c));
        assertTrue(e.getMessage().endsWith("not set: AZURE_FEDERATED_TOKEN_FILE"), e.getMessage());

        env.put("AZURE_FEDERATED_TOKEN_FILE", tmp.resolve("missing").toString());
        e = assertThrows(IOException.class, () -> credential(c));
        assertEquals("media: authType WORKLOAD_IDENTITY cannot read its federated token: AZURE_FEDERATED_TOKEN_FILE "
                + "names " + tmp.resolve("missing") + ", which is not a readable file", e.getMessage());

        env.put("AZURE_FEDERATED_TOKEN_FILE", tokenFile().toString());
        env.put("AZURE_AUTHORITY_HOST", "http://login.example/");
        e = assertThrows(IOException.class, () -> credential(c));
        assertTrue(e.getMessage().contains("needs AZURE_AUTHORITY_HOST to be an https URL such as "
                + "https://login.microsoftonline.com/, got \"http://login.example/\""), e.getMessage());
    }

    @Test
    void managedIdentityTakesItsClientIdAndRegistersItsHeaderSecret() throws Exception {
        String id = UUID.randomUUID().toString();
        String header = "header-" + UUID.randomUUID();
        env.put("IDENTITY_HEADER", header);
        assertEquals(new AzureCredential.ManagedIdentity(id),
                credential(config("authType: MANAGED_IDENTITY\nclientId: " + id)));
        assertEquals("sent " + Redactor.MASK, Redactor.redact("sent " + header));
    }

    @Test
    void secretFileOthersCanReadIsWarnedAbout() throws Exception {
        Path key = tmp.resolve("account.key");
        Files.writeString(key, "k" + UUID.randomUUID().toString().replace("-", ""));
        SubvolumeConfig c = config("authType: ACCOUNT_KEY\nsecretFile: account.key");

        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        credential(c);
        assertEquals(List.of(), warnings, "an owner-only file is fine");

        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r-----"));
        credential(c);
        assertEquals(List.of("media: secret file " + key + " is accessible to its group (mode rw-r-----); restrict it: "
                + "chmod 600 " + key), warnings);

        warnings.clear();
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        credential(c);
        assertEquals(List.of("media: secret file " + key + " is accessible to its group and other users (mode "
                + "rw-r--r--); restrict it: chmod 600 " + key), warnings);
        String secret = Files.readString(key);
        assertTrue(warnings.stream().noneMatch(w -> w.contains(secret)), "the warning holds no secret");
    }

    @Test
    void secretFromTheEnvironmentIsNotWarnedAbout() throws Exception {
        env.put("MEDIA_SAS", "sv=2025-01-05&sp=rl&sig=" + UUID.randomUUID());
        assertTrue(credential(config("authType: SAS\nsecretEnv: MEDIA_SAS")) instanceof AzureCredential.Sas);
        assertEquals(List.of(), warnings);
    }
}
