package io.cloudmirror.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code spec.vfsSource}: a non-Azure source instead of {@code spec.blobAccount}. */
class ConfigLoaderVfsSourceTest extends ConfigTestSupport {

    /** Line numbers: 7 vfsSource, 8 uri. */
    private static final String LOCAL = """
            apiVersion: arccontainerstorage.azure.net/v1
            kind: MirrorSubvolume
            metadata:
              name: local
            spec:
              path: data
              vfsSource:
                uri: "file:///srv/data"
              schedule:
                frequency: never
            """;

    private static final String SFTP = """
            apiVersion: arccontainerstorage.azure.net/v1
            kind: MirrorSubvolume
            metadata:
              name: remote
            spec:
              path: data
              authentication:
                authType: PASSWORD
                secretFile: sftp.password
              vfsSource:
                uri: "sftp://mirror@files.example.com/exports/data"
                knownHostsFile: known_hosts
              schedule:
                frequency: "@daily"
            """;

    @Test
    void localDirectoryNeedsNoAuthentication() throws Exception {
        SubvolumeConfig s = load(write("local.yaml", LOCAL)).subvolumes().get(0);
        assertNull(s.blobAccount());
        assertEquals("file:///srv/data", s.vfsSource().uri());
        assertNull(s.vfsSource().knownHosts());
        assertEquals(AuthType.ANONYMOUS, s.authentication().type());
        assertFalse(s.mirrorsIndexTags(), "a VFS source has no index tags");
    }

    @Test
    void archiveUri() throws Exception {
        SubvolumeConfig s = load(write("zip.yaml", edit(LOCAL, "file:///srv/data", "zip:file:///srv/data.zip!/")))
                .subvolumes().get(0);
        assertEquals("zip:file:///srv/data.zip!/", s.vfsSource().uri());
    }

    @Test
    void sftpWithPasswordFileAndKnownHosts() throws Exception {
        Files.writeString(dir.resolve("sftp.password"), "pw");
        Files.writeString(dir.resolve("known_hosts"), "");
        SubvolumeConfig s = load(write("sftp.yaml", SFTP)).subvolumes().get(0);
        assertEquals(AuthType.PASSWORD, s.authentication().type());
        assertEquals(dir.resolve("sftp.password"), s.authentication().secretFile());
        assertEquals(dir.resolve("known_hosts"), s.vfsSource().knownHosts());
    }

    @Test
    void bothSourcesAreRefused() throws Exception {
        Path f = write("both.yaml", edit(PRODUCT_EXAMPLE, "  blobFiltering:",
                "  vfsSource:\n    uri: file:///srv/data\n  blobFiltering:"));
        assertProblem(onlyProblem(f), f, 15, "spec.vfsSource", "set spec.blobAccount", "or spec.vfsSource", "not both");
    }

    @Test
    void neitherSourceNamesBoth() throws Exception {
        Path f = write("neither.yaml", edit(LOCAL, "  vfsSource:\n    uri: \"file:///srv/data\"\n", ""));
        List<ConfigProblem> all = problems(f);
        assertProblem(about(all, "spec.blobAccount"), f, 6, "spec.blobAccount", "missing",
                "accountEndpoint and containerName", "spec.vfsSource with a uri");
    }

    @Test
    void unsupportedSchemeOrMissingUri() throws Exception {
        Path f = write("ftp.yaml", edit(LOCAL, "file:///srv/data", "ftp://host/x"));
        assertProblem(onlyProblem(f), f, 8, "spec.vfsSource.uri", "unsupported scheme \"ftp\"", "sftp");
        Path g = write("nouri.yaml", edit(LOCAL, "uri: \"file:///srv/data\"", "url: x"));
        List<ConfigProblem> all = problems(g);
        assertProblem(about(all, "spec.vfsSource.uri"), g, 8, "spec.vfsSource.uri", "missing", "file:///srv/data");
        assertProblem(about(all, "spec.vfsSource.url"), g, 8, "spec.vfsSource.url", "unknown field", "did you mean uri?");
    }

    @Test
    void passwordInTheUriIsRefused() throws Exception {
        Path f = write("pw.yaml", edit(LOCAL, "file:///srv/data", "sftp://u:secret@host/x"));
        assertProblem(onlyProblem(f), f, 8, "spec.vfsSource.uri", "must not hold a password", "secretFile");
    }

    @Test
    void azureAuthTypesAreRefusedForAVfsSource() throws Exception {
        Path f = write("key.yaml", edit(LOCAL, "  vfsSource:", "  authentication:\n    authType: SAS\n"
                + "    secretEnv: X\n  vfsSource:"));
        env.put("X", "sig");
        assertProblem(onlyProblem(f), f, 8, "spec.authentication.authType", "ANONYMOUS or PASSWORD", "got SAS");
    }

    @Test
    void passwordIsRefusedForAzureAndForLocalSources() throws Exception {
        env.put("PW", "pw");
        Path azure = write("azure.yaml", edit(PRODUCT_EXAMPLE, "authType: MANAGED_IDENTITY",
                "authType: PASSWORD\n    secretEnv: PW"));
        assertProblem(onlyProblem(azure), azure, 9, "spec.authentication.authType", "PASSWORD is for spec.vfsSource");
        Path local = write("local.yaml", edit(LOCAL, "  vfsSource:", "  authentication:\n    authType: PASSWORD\n"
                + "    secretEnv: PW\n  vfsSource:"));
        assertProblem(onlyProblem(local), local, 11, "spec.vfsSource.uri", "needs an sftp or http(s) source");
    }

    @Test
    void passwordNeedsAUserAndKnownHostsOnlyForSftp() throws Exception {
        Files.writeString(dir.resolve("sftp.password"), "pw");
        Files.writeString(dir.resolve("known_hosts"), "");
        Path nouser = write("nouser.yaml", edit(SFTP, "mirror@", ""));
        assertProblem(onlyProblem(nouser), nouser, 11, "spec.vfsSource.uri", "needs the user name in the URI");
        Path http = write("http.yaml", edit(SFTP, "sftp://", "https://"));
        assertProblem(onlyProblem(http), http, 12, "spec.vfsSource.knownHostsFile", "only an sftp source");
        Files.delete(dir.resolve("known_hosts"));
        Path missing = write("missing.yaml", SFTP);
        assertProblem(onlyProblem(missing), missing, 12, "spec.vfsSource.knownHostsFile", "no readable file");
    }

    @Test
    void switchingSourceNeedsARemount() throws Exception {
        SubvolumeConfig a = load(write("a.yaml", LOCAL)).subvolumes().get(0);
        SubvolumeConfig b = load(write("b.yaml", edit(LOCAL, "/srv/data", "/srv/other"))).subvolumes().get(0);
        assertEquals(List.of("spec.vfsSource.uri"), ConfigEdit.change(a, b).needsRemount());
    }
}
