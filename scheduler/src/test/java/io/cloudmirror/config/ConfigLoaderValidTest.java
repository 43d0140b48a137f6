package io.cloudmirror.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Configurations that must load, and what they load as. */
class ConfigLoaderValidTest extends ConfigTestSupport {

    private static final String ACCOUNT_KEY = """
            apiVersion: arccontainerstorage.azure.net/v1
            kind: MirrorSubvolume
            metadata:
              name: azurite
            spec:
              path: data
              authentication:
                authType: ACCOUNT_KEY
                secretFile: secrets/account.key
              blobAccount:
                accountEndpoint: http://127.0.0.1:10000/devstoreaccount1/
                containerName: test-container
                indexTagsMode: MirrorIndexTags
              blobFiltering:
                blobNamePrefix: models/
              schedule:
                frequency: "*/15 * * * *"
                oneshot: 3f2b8c1e-9d4a-4c6b-8e2f-1a2b3c4d5e6f
            """;

    @Test
    void productDocumentExampleWithManagedIdentity() throws Exception {
        Path file = write("mirrorSubvolume.yaml", PRODUCT_EXAMPLE);
        MirrorConfig config = load(file);

        assertEquals(file, config.source());
        assertEquals(1, config.subvolumes().size());
        SubvolumeConfig s = config.subvolumes().get(0);
        assertEquals(file, s.file());
        assertEquals("media", s.name());
        assertEquals("edge1", s.edgeVolume());
        assertEquals("mirrorSubDir", s.path(), "the trailing comment is not part of the value");
        assertEquals(AuthType.MANAGED_IDENTITY, s.authentication().type());
        assertEquals("", s.authentication().clientId());
        assertNull(s.authentication().secretFile());
        assertEquals("", s.authentication().secretEnv());
        assertEquals(URI.create("https://acct.blob.core.windows.net/"), s.blobAccount().endpoint());
        assertEquals("media", s.blobAccount().containerName());
        assertEquals(IndexTagsMode.NoIndexTags, s.blobAccount().indexTagsMode());
        assertEquals("", s.blobNamePrefix(), "an empty blobNamePrefix: (YAML null) means no filter");
        assertEquals("@hourly", s.schedule().frequency().expression());
        assertEquals("", s.schedule().oneshot(), "an empty oneshot: (YAML null) means no sync request");
        assertEquals(cacheRoot.resolve("media"), s.cache().directory(), "default cache directory");
        assertEquals(10L << 30, s.cache().maxSize(), "default maxSize is 10Gi");
        assertEquals(ConfigLoader.DEFAULT_MAX_SIZE, s.cache().maxSize());
        assertEquals(Prefetch.all, s.cache().prefetch(), "default prefetch");
        assertEquals(s, config.subvolume("media").orElseThrow());
        assertTrue(config.subvolume("other").isEmpty());
    }

    @Test
    void designDocumentExampleWithEmptyQuotedStringsAndCache() throws Exception {
        Path file = write("design.yaml", """
                apiVersion: arccontainerstorage.azure.net/v1
                kind: MirrorSubvolume
                metadata:
                  name: media
                spec:
                  edgevolume: edge1                 # accepted; informational
                  path: mirrorSubDir                # no leading slash
                  authentication:
                    authType: MANAGED_IDENTITY      # or WORKLOAD_IDENTITY
                    clientId: ""                    # optional, identity modes
                    secretFile: ""                  # secret modes
                    secretEnv: ""                   # ... or the environment variable holding it
                  blobAccount:
                    accountEndpoint: "https://acct.blob.core.windows.net/"
                    containerName: media
                    indexTagsMode: MirrorIndexTags  # or NoIndexTags
                  blobFiltering:
                    blobNamePrefix: ""
                  schedule:
                    frequency: "@hourly"
                    oneshot: ""
                  cache:
                    directory: /var/cache/cloudmirror/media
                    maxSize: 50Gi
                    prefetch: all
                """);
        SubvolumeConfig s = load(file).subvolumes().get(0);
        assertEquals(AuthType.MANAGED_IDENTITY, s.authentication().type());
        assertEquals("", s.authentication().clientId());
        assertNull(s.authentication().secretFile());
        assertEquals("", s.authentication().secretEnv());
        assertEquals(IndexTagsMode.MirrorIndexTags, s.blobAccount().indexTagsMode());
        assertEquals("", s.blobNamePrefix());
        assertEquals("", s.schedule().oneshot());
        assertEquals(Path.of("/var/cache/cloudmirror/media"), s.cache().directory());
        assertEquals(50L << 30, s.cache().maxSize());
        assertEquals(Prefetch.all, s.cache().prefetch());
    }

    @Test
    void accountKeyWithSecretFileResolvedAgainstTheYamlDirectory() throws Exception {
        Path key = write("conf/secrets/account.key", "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq==\n");
        Path file = write("conf/azurite.yaml", ACCOUNT_KEY);
        SubvolumeConfig s = load(file).subvolumes().get(0);

        assertEquals(AuthType.ACCOUNT_KEY, s.authentication().type());
        assertEquals(key, s.authentication().secretFile(), "relative to conf/, not to the working directory");
        assertTrue(s.authentication().secretFile().isAbsolute());
        assertEquals("", s.authentication().secretEnv());
        assertEquals(URI.create("http://127.0.0.1:10000/devstoreaccount1/"), s.blobAccount().endpoint());
        assertEquals("test-container", s.blobAccount().containerName());
        assertEquals(IndexTagsMode.MirrorIndexTags, s.blobAccount().indexTagsMode());
        assertEquals("models/", s.blobNamePrefix());
        assertEquals("*/15 * * * *", s.schedule().frequency().expression());
        assertEquals("3f2b8c1e-9d4a-4c6b-8e2f-1a2b3c4d5e6f", s.schedule().oneshot());
        assertEquals(cacheRoot.resolve("azurite"), s.cache().directory());
    }

    @Test
    void absoluteSecretFileIsKept() throws Exception {
        Path key = write("elsewhere/key", "k");
        Path file = write("conf/a.yaml", edit(ACCOUNT_KEY, "secretFile: secrets/account.key", "secretFile: " + key));
        assertEquals(key, load(file).subvolumes().get(0).authentication().secretFile());
    }

    @Test
    void secretFromEnvironmentVariable() throws Exception {
        env.put("AZURITE_KEY", "secret-value");
        Path file = write("a.yaml", edit(ACCOUNT_KEY, "secretFile: secrets/account.key", "secretEnv: AZURITE_KEY"));
        SubvolumeConfig s = load(file).subvolumes().get(0);
        assertEquals("AZURITE_KEY", s.authentication().secretEnv());
        assertNull(s.authentication().secretFile());
    }

    @Test
    void everySecretModeAcceptsASecret() throws Exception {
        env.put("SECRET", "x");
        for (String type : List.of("CONNECTION_STRING", "SAS", "ACCOUNT_KEY")) {
            Path file = write(type + ".yaml", edit(edit(ACCOUNT_KEY, "ACCOUNT_KEY", type),
                    "secretFile: secrets/account.key", "secretEnv: SECRET"));
            assertEquals(AuthType.valueOf(type), load(file).subvolumes().get(0).authentication().type());
        }
    }

    @Test
    void identityModesAndAnonymous() throws Exception {
        Path wi = write("wi.yaml", edit(PRODUCT_EXAMPLE, "authType: MANAGED_IDENTITY",
                "authType: WORKLOAD_IDENTITY\n    clientId: 0E1F2A3B-4C5D-6E7F-8091-A2B3C4D5E6F7"));
        SubvolumeConfig s = load(wi).subvolumes().get(0);
        assertEquals(AuthType.WORKLOAD_IDENTITY, s.authentication().type());
        assertEquals("0E1F2A3B-4C5D-6E7F-8091-A2B3C4D5E6F7", s.authentication().clientId());

        Path anon = write("anon.yaml", edit(PRODUCT_EXAMPLE, "MANAGED_IDENTITY", "ANONYMOUS"));
        assertEquals(AuthType.ANONYMOUS, load(anon).subvolumes().get(0).authentication().type());
    }

    @Test
    void quotedValues() throws Exception {
        Path file = write("quoted.yaml", """
                'apiVersion': 'arccontainerstorage.azure.net/v1'
                "kind": "MirrorSubvolume"
                metadata:
                  name: 'media'
                spec:
                  edgevolume: "edge1"
                  path: "mirrorSubDir"
                  authentication:
                    authType: "MANAGED_IDENTITY"
                  blobAccount:
                    accountEndpoint: 'https://acct.blob.core.windows.net/'
                    containerName: "media"
                    indexTagsMode: 'MirrorIndexTags'
                  blobFiltering:
                    blobNamePrefix: "2024"
                  schedule:
                    frequency: '30 2 * * 1-5'
                    oneshot: "3f2b8c1e-9d4a-4c6b-8e2f-1a2b3c4d5e6f"
                  cache:
                    maxSize: "1G"
                    prefetch: "none"
                """);
        SubvolumeConfig s = load(file).subvolumes().get(0);
        assertEquals("media", s.name());
        assertEquals("mirrorSubDir", s.path());
        assertEquals(IndexTagsMode.MirrorIndexTags, s.blobAccount().indexTagsMode());
        assertEquals("2024", s.blobNamePrefix());
        assertEquals("30 2 * * 1-5", s.schedule().frequency().expression());
        assertEquals("3f2b8c1e-9d4a-4c6b-8e2f-1a2b3c4d5e6f", s.schedule().oneshot());
        assertEquals(1_000_000_000L, s.cache().maxSize());
        assertEquals(Prefetch.none, s.cache().prefetch());
    }

    @Test
    void plainScalarsThatYamlWouldTypeStayText() throws Exception {
        // Unquoted values YAML 1.1 would read as numbers, booleans or dates are taken as written.
        Path file = write("typed.yaml", edit(edit(edit(PRODUCT_EXAMPLE, "path: mirrorSubDir", "path: 2024"),
                "blobNamePrefix:", "blobNamePrefix: 007"), "edgevolume: edge1", "edgevolume: yes"));
        SubvolumeConfig s = load(file).subvolumes().get(0);
        assertEquals("2024", s.path());
        assertEquals("007", s.blobNamePrefix());
        assertEquals("yes", s.edgeVolume());
    }

    @Test
    void explicitNullsAndMissingOptionalSections() throws Exception {
        Path file = write("nulls.yaml", """
                apiVersion: arccontainerstorage.azure.net/v1
                kind: MirrorSubvolume
                metadata:
                  name: media
                spec:
                  path: mirrorSubDir
                  authentication:
                    authType: ANONYMOUS
                  blobAccount:
                    accountEndpoint: https://acct.blob.core.windows.net
                    containerName: $root
                  schedule:
                    frequency: never
                    oneshot: ~
                  cache:
                """);
        SubvolumeConfig s = load(file).subvolumes().get(0);
        assertEquals("", s.edgeVolume());
        assertEquals("", s.blobNamePrefix());
        assertEquals("$root", s.blobAccount().containerName());
        assertEquals(IndexTagsMode.NoIndexTags, s.blobAccount().indexTagsMode(), "default indexTagsMode");
        assertTrue(s.schedule().frequency().isNever());
        assertEquals("", s.schedule().oneshot());
        assertEquals(cacheRoot.resolve("media"), s.cache().directory());
        assertEquals(ConfigLoader.DEFAULT_MAX_SIZE, s.cache().maxSize());
        assertEquals(Prefetch.all, s.cache().prefetch());
    }

    @Test
    void explicitCacheValues() throws Exception {
        Path file = write("cache.yaml", PRODUCT_EXAMPLE + """
                  cache:
                    directory: /srv/cache/../cache/media/
                    maxSize: 500Mi
                    prefetch: none
                """);
        SubvolumeConfig.CacheSettings c = load(file).subvolumes().get(0).cache();
        assertEquals(Path.of("/srv/cache/media"), c.directory(), "normalized");
        assertEquals(500L << 20, c.maxSize());
        assertEquals(Prefetch.none, c.prefetch());
    }

    @Test
    void smallestAllowedCache() throws Exception {
        Path file = write("cache.yaml", PRODUCT_EXAMPLE + "  cache:\n    maxSize: 16Mi\n");
        assertEquals(16L << 20, load(file).subvolumes().get(0).cache().maxSize());
    }

    @Test
    void nestedPathAndTrailingSlashes() throws Exception {
        Path nested = write("nested.yaml", edit(PRODUCT_EXAMPLE, "path: mirrorSubDir", "path: a/b"));
        assertEquals("a/b", load(nested).subvolumes().get(0).path());

        Path trailing = write("trailing.yaml", edit(PRODUCT_EXAMPLE, "path: mirrorSubDir", "path: a/b//"));
        assertEquals("a/b", load(trailing).subvolumes().get(0).path());

        Path spaced = write("spaced.yaml", edit(PRODUCT_EXAMPLE, "path: mirrorSubDir", "path: ' media/ '"));
        assertEquals("media", load(spaced).subvolumes().get(0).path());
    }

    @Test
    void multiDocumentFile() throws Exception {
        Path file = write("multi.yaml", "---\n" + PRODUCT_EXAMPLE + "---\n"
                + edit(edit(PRODUCT_EXAMPLE, "name: media", "name: models"), "path: mirrorSubDir", "path: models")
                + "...\n");
        MirrorConfig config = load(file);
        assertEquals(List.of("media", "models"), config.subvolumes().stream().map(SubvolumeConfig::name).toList());
        assertEquals(List.of("mirrorSubDir", "models"), config.subvolumes().stream().map(SubvolumeConfig::path).toList());
        assertEquals(cacheRoot.resolve("models"), config.subvolume("models").orElseThrow().cache().directory());
        assertTrue(config.subvolumes().stream().allMatch(s -> s.file().equals(file)));
    }

    @Test
    void emptyDocumentsBetweenSeparatorsAreIgnored() throws Exception {
        // kubectl and most generators tolerate a stray or trailing "---"; so do we.
        Path file = write("stray.yaml", "---\n---\n" + PRODUCT_EXAMPLE + "---\n# nothing here\n---\n");
        assertEquals(1, load(file).subvolumes().size());
    }

    @Test
    void utf8ByteOrderMarkIsAccepted() throws Exception {
        Path file = write("bom.yaml", "\uFEFF" + PRODUCT_EXAMPLE);
        assertEquals("media", load(file).subvolumes().get(0).name());
    }

    @Test
    void directoryOfFilesReadsOnlyVisibleYamlAndYmlFiles() throws Exception {
        Path conf = dir.resolve("conf");
        write("conf/b.yml", edit(edit(PRODUCT_EXAMPLE, "name: media", "name: bee"), "path: mirrorSubDir", "path: bee"));
        write("conf/a.yaml", PRODUCT_EXAMPLE);
        write("conf/c.yaml", edit(edit(PRODUCT_EXAMPLE, "name: media", "name: sea"), "path: mirrorSubDir", "path: sea")
                + "---\n" + edit(edit(PRODUCT_EXAMPLE, "name: media", "name: see"), "path: mirrorSubDir", "path: see"));
        write("conf/.hidden.yaml", "this: is not a MirrorSubvolume\n");
        write("conf/.#a.yaml", "editor lock file: [\n");
        write("conf/notes.txt", "not yaml at all: [\n");
        write("conf/a.yaml.bak", "not: read\n");
        write("conf/README.md", "# docs\n");
        Files.createDirectories(conf.resolve("sub.yaml"));
        write("conf/nested/d.yaml", "not: read either\n");

        MirrorConfig config = load(conf);
        assertEquals(conf, config.source());
        assertEquals(List.of("media", "bee", "sea", "see"),
                config.subvolumes().stream().map(SubvolumeConfig::name).toList(), "files in name order");
        assertEquals(conf.resolve("b.yml"), config.subvolume("bee").orElseThrow().file());
        assertEquals(conf.resolve("c.yaml"), config.subvolume("see").orElseThrow().file());
    }

    @Test
    void relativeSourceIsMadeAbsolute() throws Exception {
        Path file = write("rel.yaml", PRODUCT_EXAMPLE);
        Path relative = Path.of("").toAbsolutePath().relativize(file);
        assertFalse(relative.isAbsolute());
        MirrorConfig config = load(relative);
        assertEquals(file, config.source());
        assertEquals(file, config.subvolumes().get(0).file());
    }

    @Test
    void overlappingLookingButDistinctPathsAreFine() throws Exception {
        Path file = write("two.yaml", edit(PRODUCT_EXAMPLE, "path: mirrorSubDir", "path: a") + "---\n"
                + edit(edit(PRODUCT_EXAMPLE, "name: media", "name: other"), "path: mirrorSubDir", "path: ab"));
        assertEquals(2, load(file).subvolumes().size(), "\"ab\" is not inside \"a\"");
    }

    @Test
    void frequencyIsUsable() throws Exception {
        Path file = write("f.yaml", edit(PRODUCT_EXAMPLE, "\"@hourly\"", "\"30 2 * * *\""));
        Frequency f = load(file).subvolumes().get(0).schedule().frequency();
        assertEquals(ZonedDateTime.of(2025, 3, 16, 2, 30, 0, 0, ZoneOffset.UTC),
                f.nextAfter(ZonedDateTime.of(2025, 3, 15, 10, 0, 0, 0, ZoneOffset.UTC)).orElseThrow());
    }

    @Test
    void defaultCacheRoot() {
        assertEquals(Path.of("/var/cache/cloudmirror"), ConfigLoader.defaultCacheRoot(Map.<String, String>of()::get, true));
        assertEquals(Path.of("/var/cache/cloudmirror"),
                ConfigLoader.defaultCacheRoot(Map.of("XDG_CACHE_HOME", "/x")::get, true));
        assertEquals(Path.of("/x/cloudmirror"), ConfigLoader.defaultCacheRoot(Map.of("XDG_CACHE_HOME", "/x")::get, false));
        assertEquals(Path.of(System.getProperty("user.home"), ".cache", "cloudmirror"),
                ConfigLoader.defaultCacheRoot(Map.of("XDG_CACHE_HOME", " ")::get, false));
        assertEquals(Path.of(System.getProperty("user.home"), ".cache", "cloudmirror"),
                ConfigLoader.defaultCacheRoot(Map.<String, String>of()::get, false));
    }
}
