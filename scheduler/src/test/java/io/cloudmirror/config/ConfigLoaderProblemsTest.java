package io.cloudmirror.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A catalogue of malformed configurations. Each names the file, the line (where there is one), the dotted
 * field and what was expected. Line numbers refer to {@link ConfigTestSupport#PRODUCT_EXAMPLE}.
 */
class ConfigLoaderProblemsTest extends ConfigTestSupport {

    private static final String SECRET_MODE = edit(PRODUCT_EXAMPLE, "authType: MANAGED_IDENTITY",
            "authType: ACCOUNT_KEY");

    private static final String AUTH_TYPES =
            "one of MANAGED_IDENTITY, WORKLOAD_IDENTITY, CONNECTION_STRING, SAS, ACCOUNT_KEY, ANONYMOUS, PASSWORD";

    // ---- top level and metadata -------------------------------------------------------------------

    @Test
    void missingApiVersion() throws IOException {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "apiVersion: \"arccontainerstorage.azure.net/v1\"\n", ""));
        assertProblem(onlyProblem(f), f, 1, "apiVersion", "missing", "expected \"arccontainerstorage.azure.net/v1\"");
    }

    @Test
    void wrongApiVersion() throws IOException {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "azure.net/v1", "azure.net/v2"));
        assertProblem(onlyProblem(f), f, 1, "apiVersion",
                "expected \"arccontainerstorage.azure.net/v1\", got \"arccontainerstorage.azure.net/v2\"");
    }

    @Test
    void wrongKind() throws IOException {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "kind: MirrorSubvolume", "kind: PersistentVolumeClaim"));
        assertProblem(onlyProblem(f), f, 2, "kind", "expected MirrorSubvolume, got \"PersistentVolumeClaim\"");
    }

    @Test
    void kindIsCaseSensitive() throws IOException {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "kind: MirrorSubvolume", "kind: mirrorsubvolume"));
        assertProblem(onlyProblem(f), f, 2, "kind", "expected MirrorSubvolume, got \"mirrorsubvolume\"");
    }

    @Test
    void missingMetadataName() throws IOException {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "  name: media", "  namespace: default"));
        assertProblem(onlyProblem(f), f, 4, "metadata.name", "missing", "expected a lowercase name");
    }

    @Test
    void emptyMetadata() throws IOException {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "  name: media\n", ""));
        assertProblem(onlyProblem(f), f, 3, "metadata", "is empty", "expected a mapping with name");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Media", "my_volume", "-media", "media-", "mé dia"})
    void invalidMetadataName(String name) throws IOException {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "name: media", "name: \"" + name + "\""));
        assertProblem(onlyProblem(f), f, 4, "metadata.name", "expected a lowercase name of at most 253 characters",
                "got \"" + name + "\"");
    }

    @Test
    void metadataNameTooLong() throws IOException {
        String name = "a".repeat(254);
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "name: media", "name: " + name));
        assertProblem(onlyProblem(f), f, 4, "metadata.name", "at most 253 characters");
    }

    @Test
    void missingSpecIsOneProblem() throws IOException {
        Path f = write("c.yaml", PRODUCT_EXAMPLE.substring(0, PRODUCT_EXAMPLE.indexOf("spec:")));
        assertProblem(onlyProblem(f), f, 1, "spec", "missing",
                "expected a mapping with path, authentication, blobAccount and schedule");
    }

    @Test
    void documentThatIsNotAMapping() throws IOException {
        Path f = write("c.yaml", "# a comment\njust some text\n");
        assertProblem(onlyProblem(f), f, 2, "", "expected a MirrorSubvolume document",
                "apiVersion, kind, metadata and spec");

        Path list = write("list.yaml", "- apiVersion: arccontainerstorage.azure.net/v1\n");
        assertProblem(onlyProblem(list), list, 1, "", "expected a MirrorSubvolume document");
    }

    @Test
    void unknownTopLevelFieldSuggestsSpelling() throws IOException {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "kind: MirrorSubvolume", "kind: MirrorSubvolume\nstatus: {}"));
        assertProblem(onlyProblem(f), f, 3, "status", "unknown field", "expected one of apiVersion, kind, metadata, spec");

        Path g = write("g.yaml", edit(PRODUCT_EXAMPLE, "apiVersion:", "apiversion:"));
        List<ConfigProblem> all = problems(g);
        assertEquals(2, all.size(), text(all));
        assertProblem(about(all, "apiVersion"), g, 1, "apiVersion", "missing");
        assertProblem(about(all, "apiversion"), g, 1, "apiversion", "unknown field; did you mean apiVersion?");
    }

    @Test
    void specFieldsAtTopLevelPointToSpec() throws IOException {
        // "spec:" forgotten: its fields sit at the top level.
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "spec:\n", "").replaceAll("(?m)^  (?=\\S)(?!name)", ""));
        List<ConfigProblem> all = problems(f);
        assertProblem(about(all, "spec"), f, 1, "spec", "missing");
        assertProblem(about(all, "path"), f, 6, "path", "unknown field; it belongs under spec (check its indentation)");
        assertProblem(about(all, "authentication"), f, 7, "authentication", "belongs under spec");
        assertEquals(7, all.size(), text(all));
    }

    // ---- spec.path ---------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"/mirrorSubDir", "/", "/a/b"})
    void pathWithLeadingSlash(String path) throws IOException {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "path: mirrorSubDir", "path: \"" + path + "\""));
        assertProblem(onlyProblem(f), f, 7, "spec.path", "must not start with '/'",
                "expected a subdirectory name such as mirrorSubDir", "got \"" + path + "\"");
    }

    @ParameterizedTest
    @ValueSource(strings = {"..", "a/../b", "../escape", "a/./b", ".", "a//b"})
    void pathWithDotsOrEmptyComponents(String path) throws IOException {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "path: mirrorSubDir", "path: \"" + path + "\""));
        assertProblem(onlyProblem(f), f, 7, "spec.path", "expected a relative path of non-empty names without '.' or '..'",
                "got \"" + path + "\"");
    }

    @Test
    void emptyPath() throws IOException {
        Path quoted = write("q.yaml", edit(PRODUCT_EXAMPLE, "path: mirrorSubDir", "path: \"\""));
        assertProblem(onlyProblem(quoted), quoted, 7, "spec.path", "expected a subdirectory name such as mirrorSubDir",
                "got \"\"");

        Path blank = write("b.yaml", edit(PRODUCT_EXAMPLE, "path: mirrorSubDir", "path: \"  \""));
        assertProblem(onlyProblem(blank), blank, 7, "spec.path", "expected a subdirectory name such as mirrorSubDir");

        Path nothing = write("n.yaml", edit(PRODUCT_EXAMPLE, "path: mirrorSubDir", "path:"));
        assertProblem(onlyProblem(nothing), nothing, 7, "spec.path", "is empty",
                "expected a subdirectory name such as mirrorSubDir");

        Path missing = write("m.yaml", edit(PRODUCT_EXAMPLE, "  path: mirrorSubDir # Don't use a preceding slash\n", ""));
        assertProblem(onlyProblem(missing), missing, 6, "spec.path", "missing",
                "expected a subdirectory name such as mirrorSubDir");
    }

    @Test
    void pathComponentTooLong() throws IOException {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "path: mirrorSubDir", "path: a/" + "x".repeat(256)));
        assertProblem(onlyProblem(f), f, 7, "spec.path", "expected a relative path");
    }

    // ---- enumerations ------------------------------------------------------------------------------

    @Test
    void unknownAuthType() throws IOException {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "MANAGED_IDENTITY", "CERTIFICATE"));
        ConfigProblem p = onlyProblem(f);
        assertProblem(p, f, 9, "spec.authentication.authType", "expected " + AUTH_TYPES, "got \"CERTIFICATE\"");
        assertFalse(p.message().contains("case-sensitive"), p.message());
    }

    @Test
    void lowercaseAuthTypeGetsCaseHint() throws IOException {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "MANAGED_IDENTITY", "managed_identity"));
        assertProblem(onlyProblem(f), f, 9, "spec.authentication.authType", "expected " + AUTH_TYPES,
                "got \"managed_identity\"", "names are case-sensitive: did you mean MANAGED_IDENTITY?");
    }

    @Test
    void missingAuthType() throws IOException {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "authType: MANAGED_IDENTITY", "authType:"));
        assertProblem(onlyProblem(f), f, 9, "spec.authentication.authType", "is empty", "expected " + AUTH_TYPES);
    }

    @Test
    void unknownIndexTagsMode() throws IOException {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "indexTagsMode: NoIndexTags", "indexTagsMode: AllTags"));
        assertProblem(onlyProblem(f), f, 13, "spec.blobAccount.indexTagsMode",
                "expected one of MirrorIndexTags, NoIndexTags, got \"AllTags\"");

        Path g = write("g.yaml", edit(PRODUCT_EXAMPLE, "indexTagsMode: NoIndexTags", "indexTagsMode: noindextags"));
        assertProblem(onlyProblem(g), g, 13, "spec.blobAccount.indexTagsMode", "did you mean NoIndexTags?");
    }

    @Test
    void unknownPrefetch() throws IOException {
        Path f = write("c.yaml", PRODUCT_EXAMPLE + "  cache:\n    prefetch: some\n");
        assertProblem(onlyProblem(f), f, 20, "spec.cache.prefetch", "expected one of all, none, got \"some\"");
    }

    // ---- unknown and misplaced fields --------------------------------------------------------------

    @Test
    void unknownFieldAtSpecLevel() throws IOException {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "  edgevolume: edge1", "  edgevolume: edge1\n  replicas: 2"));
        assertProblem(onlyProblem(f), f, 7, "spec.replicas", "unknown field",
                "expected one of edgevolume, path, authentication, blobAccount, vfsSource, blobFiltering, schedule, cache");
    }

    @Test
    void misspelledFieldGetsSuggestion() throws IOException {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "frequency:", "frequncy:"));
        List<ConfigProblem> all = problems(f);
        assertEquals(2, all.size(), text(all));
        assertProblem(about(all, "spec.schedule.frequncy"), f, 17, "spec.schedule.frequncy",
                "unknown field; did you mean frequency?");
        assertProblem(about(all, "spec.schedule.frequency"), f, 17, "spec.schedule.frequency", "missing",
                "expected \"never\", one of @annually");
    }

    @Test
    void misspelledSectionGetsSuggestion() throws IOException {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "blobAccount:", "blobAcount:"));
        List<ConfigProblem> all = problems(f);
        assertEquals(2, all.size(), text(all));
        assertProblem(about(all, "spec.blobAcount"), f, 10, "spec.blobAcount", "unknown field; did you mean blobAccount?");
        assertProblem(about(all, "spec.blobAccount"), f, 6, "spec.blobAccount", "missing",
                "expected a mapping with accountEndpoint and containerName");
    }

    @Test
    void unknownFieldInsideEverySection() throws IOException {
        Path f = write("c.yaml", edit(edit(edit(edit(edit(PRODUCT_EXAMPLE,
                "  name: media", "  name: media\n  uid: x"),
                "    authType: MANAGED_IDENTITY", "    authType: MANAGED_IDENTITY\n    password: x"),
                "    containerName: media", "    containerName: media\n    sku: x"),
                "    blobNamePrefix:", "    blobNamePrefix:\n    blobNameSuffix: x"),
                "    oneshot:", "    oneshot:\n    timezone: UTC") + "  cache:\n    size: 1Gi\n");
        List<ConfigProblem> all = problems(f);
        assertEquals(6, all.size(), text(all));
        assertProblem(about(all, "metadata.uid"), f, 5, "metadata.uid", "unknown field",
                "expected one of name, namespace, labels, annotations");
        assertProblem(about(all, "spec.authentication.password"), f, 11, "spec.authentication.password",
                "unknown field", "expected one of authType, clientId, secretFile, secretEnv");
        assertProblem(about(all, "spec.blobAccount.sku"), f, 15, "spec.blobAccount.sku", "unknown field",
                "expected one of accountEndpoint, containerName, indexTagsMode");
        assertProblem(about(all, "spec.blobFiltering.blobNameSuffix"), f, 19, "spec.blobFiltering.blobNameSuffix",
                "unknown field; expected one of blobNamePrefix");
        assertProblem(about(all, "spec.schedule.timezone"), f, 23, "spec.schedule.timezone", "unknown field",
                "expected one of frequency, oneshot");
        assertProblem(about(all, "spec.cache.size"), f, 25, "spec.cache.size", "unknown field",
                "expected one of directory, maxSize, prefetch");
    }

    @Test
    void metadataLabelsAndNamespaceAreAccepted() throws Exception {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "  name: media",
                "  name: media\n  namespace: default\n  labels:\n    app: x\n  annotations:\n    note: y"));
        assertEquals("media", load(f).subvolumes().get(0).name());
    }

    /** The product document's YAML as rendered: everything under spec lost one level of indentation. */
    @Test
    void productDocumentAsRenderedWithLostIndentation() throws IOException {
        Path f = write("mirrorSubvolume.yaml", """
                apiVersion: "arccontainerstorage.azure.net/v1"
                kind: MirrorSubvolume
                metadata:
                  name: mysubvolume
                spec:
                  edgevolume: myedgevolume
                  path: mirrorSubDir # Don't use a preceding slash
                  authentication:
                  authType: MANAGED_IDENTITY
                  blobAccount:
                  accountEndpoint: "https://acct.blob.core.windows.net/"
                  containerName: media
                  indexTagsMode: NoIndexTags
                  blobFiltering:
                  blobNamePrefix:
                  schedule:
                  frequency: "@hourly"
                  oneshot:
                """);
        List<ConfigProblem> all = problems(f);
        assertProblem(about(all, "spec.authentication"), f, 8, "spec.authentication", "is empty",
                "expected a mapping with authType");
        assertProblem(about(all, "spec.blobAccount"), f, 10, "spec.blobAccount", "is empty");
        assertProblem(about(all, "spec.schedule"), f, 16, "spec.schedule", "is empty");
        assertProblem(about(all, "spec.authType"), f, 9, "spec.authType",
                "unknown field; it belongs under spec.authentication (check its indentation)");
        assertProblem(about(all, "spec.accountEndpoint"), f, 11, "spec.accountEndpoint",
                "belongs under spec.blobAccount (check its indentation)");
        assertProblem(about(all, "spec.containerName"), f, 12, "spec.containerName", "belongs under spec.blobAccount");
        assertProblem(about(all, "spec.indexTagsMode"), f, 13, "spec.indexTagsMode", "belongs under spec.blobAccount");
        assertProblem(about(all, "spec.blobNamePrefix"), f, 15, "spec.blobNamePrefix",
                "belongs under spec.blobFiltering");
        assertProblem(about(all, "spec.frequency"), f, 17, "spec.frequency", "belongs under spec.schedule");
        assertProblem(about(all, "spec.oneshot"), f, 18, "spec.oneshot", "belongs under spec.schedule");
        assertEquals(10, all.size(), text(all));
    }

    @Test
    void cacheFieldDirectlyUnderSpec() throws IOException {
        Path f = write("c.yaml", PRODUCT_EXAMPLE + "  maxSize: 50Gi\n");
        assertProblem(onlyProblem(f), f, 19, "spec.maxSize", "belongs under spec.cache (check its indentation)");
    }

    // ---- wrong node kinds --------------------------------------------------------------------------

    @Test
    void mappingWhereAStringIsExpected() throws IOException {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "containerName: media", "containerName:\n      name: media"));
        assertProblem(onlyProblem(f), f, 13, "spec.blobAccount.containerName", "expected a container name, got a mapping");

        Path g = write("g.yaml", edit(PRODUCT_EXAMPLE, "path: mirrorSubDir # Don't use a preceding slash",
                "path: [a, b]"));
        assertProblem(onlyProblem(g), g, 7, "spec.path", "expected a subdirectory name such as mirrorSubDir, got a list");

        Path h = write("h.yaml", edit(PRODUCT_EXAMPLE, "authType: MANAGED_IDENTITY", "authType: {}"));
        assertProblem(onlyProblem(h), h, 9, "spec.authentication.authType", "expected " + AUTH_TYPES + ", got a mapping");
    }

    @Test
    void stringWhereAMappingIsExpected() throws IOException {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "authentication:\n    authType: MANAGED_IDENTITY",
                "authentication: MANAGED_IDENTITY"));
        assertProblem(onlyProblem(f), f, 8, "spec.authentication",
                "expected a mapping with authType, got \"MANAGED_IDENTITY\"");

        Path g = write("g.yaml", edit(PRODUCT_EXAMPLE, "metadata:\n  name: media", "metadata: media"));
        assertProblem(onlyProblem(g), g, 3, "metadata", "expected a mapping with name, got \"media\"");

        Path h = write("h.yaml", edit(PRODUCT_EXAMPLE, "schedule:\n    frequency: \"@hourly\"\n    oneshot:",
                "schedule:\n  - \"@hourly\""));
        assertProblem(onlyProblem(h), h, 17, "spec.schedule", "expected a mapping with frequency, got a list");
    }

    @Test
    void duplicateKeys() throws IOException {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "  edgevolume: edge1", "  path: other\n  edgevolume: edge1"));
        assertProblem(onlyProblem(f), f, 8, "spec.path", "appears twice"); // reported where it appears again

        Path g = write("g.yaml", edit(PRODUCT_EXAMPLE, "    oneshot:", "    oneshot:\n    frequency: never"));
        assertProblem(onlyProblem(g), g, 19, "spec.schedule.frequency", "appears twice");
    }

    // ---- files that are not usable YAML ------------------------------------------------------------

    @Test
    void invalidYamlSyntaxNamesTheLine() throws IOException {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "containerName: media", "containerName: [media"));
        ConfigProblem p = onlyProblem(f);
        assertEquals("", p.field());
        assertTrue(p.line() >= 12, p.toString());
        assertTrue(p.toString().startsWith(f + ":" + p.line() + ": not valid YAML: "), p.toString());

        Path g = write("g.yaml", edit(PRODUCT_EXAMPLE, "  name: media", "  name: media\n   extra: indented"));
        assertProblem(onlyProblem(g), g, 5, "", "not valid YAML: mapping values are not allowed here");

        Path tab = write("tab.yaml", edit(PRODUCT_EXAMPLE, "  name: media", "\tname: media"));
        assertProblem(onlyProblem(tab), tab, 4, "", "not valid YAML");
    }

    @Test
    void unquotedAtSignIsExplained() throws IOException {
        // The product document quotes "@hourly"; without quotes '@' is reserved in YAML.
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "frequency: \"@hourly\"", "frequency: @hourly"));
        assertProblem(onlyProblem(f), f, 17, "", "not valid YAML", "'@'", "quote", "\"@hourly\"");
    }

    @Test
    void validDocumentsBeforeASyntaxErrorDoNotHideIt() throws IOException {
        Path f = write("c.yaml", PRODUCT_EXAMPLE + "---\nkind: [\n");
        ConfigProblem p = onlyProblem(f);
        assertTrue(p.toString().contains("not valid YAML"), p.toString());
        assertTrue(p.line() >= 20, p.toString());
    }

    @Test
    void emptyFile() throws IOException {
        Path f = write("empty.yaml", "");
        assertProblem(onlyProblem(f), f, 0, "", "file is empty; expected a MirrorSubvolume document");

        Path comments = write("comments.yaml", "# nothing yet\n\n---\n");
        assertProblem(onlyProblem(comments), comments, 0, "", "file is empty");
    }

    @Test
    void nonUtf8File() throws IOException {
        Path f = dir.resolve("latin1.yaml");
        Files.write(f, edit(PRODUCT_EXAMPLE, "edgevolume: edge1", "edgevolume: café").getBytes(StandardCharsets.ISO_8859_1));
        assertProblem(onlyProblem(f), f, 6, "", "not UTF-8 text", "0xE9");
    }

    @Test
    void aliasBombIsRejected() throws IOException {
        StringBuilder y = new StringBuilder("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (char c = 'b'; c <= 'p'; c++) {
            char p = (char) (c - 1);
            y.append(c).append(": &").append(c).append(" [*").append(p).append(", *").append(p).append(", *")
                    .append(p).append(", *").append(p).append("]\n");
        }
        Path f = write("bomb.yaml", y.toString());
        assertProblem(onlyProblem(f), f, 0, "", "not valid YAML");
    }

    // ---- authentication ----------------------------------------------------------------------------

    @Test
    void secretModeWithoutSecret() throws IOException {
        Path f = write("c.yaml", SECRET_MODE);
        assertProblem(onlyProblem(f), f, 9, "spec.authentication.authType", "authType ACCOUNT_KEY needs its secret",
                "spec.authentication.secretFile", "spec.authentication.secretEnv");

        Path blank = write("b.yaml", edit(SECRET_MODE, "authType: ACCOUNT_KEY",
                "authType: SAS\n    secretFile: \"\"\n    secretEnv: \"\""));
        assertProblem(onlyProblem(blank), blank, 9, "spec.authentication.authType", "authType SAS needs its secret");
    }

    @Test
    void secretFileAndSecretEnvBothSet() throws IOException {
        write("key", "k");
        env.put("KEY", "k");
        Path f = write("c.yaml", edit(SECRET_MODE, "authType: ACCOUNT_KEY",
                "authType: ACCOUNT_KEY\n    secretFile: key\n    secretEnv: KEY"));
        assertProblem(onlyProblem(f), f, 11, "spec.authentication.secretEnv", "set secretFile or secretEnv, not both");
    }

    @Test
    void secretFileMissing() throws IOException {
        Path f = write("conf/c.yaml", edit(SECRET_MODE, "authType: ACCOUNT_KEY",
                "authType: ACCOUNT_KEY\n    secretFile: secrets/account.key"));
        assertProblem(onlyProblem(f), f, 10, "spec.authentication.secretFile",
                "no such file: " + dir.resolve("conf/secrets/account.key"));
    }

    @Test
    void secretFileIsADirectory() throws IOException {
        Files.createDirectories(dir.resolve("secrets"));
        Path f = write("c.yaml", edit(SECRET_MODE, "authType: ACCOUNT_KEY",
                "authType: ACCOUNT_KEY\n    secretFile: secrets"));
        assertProblem(onlyProblem(f), f, 10, "spec.authentication.secretFile", "no such file: " + dir.resolve("secrets"));
    }

    @Test
    void secretEnvUnsetOrEmpty() throws IOException {
        Path f = write("c.yaml", edit(SECRET_MODE, "authType: ACCOUNT_KEY",
                "authType: CONNECTION_STRING\n    secretEnv: STORAGE_CONNECTION"));
        assertProblem(onlyProblem(f), f, 10, "spec.authentication.secretEnv",
                "environment variable STORAGE_CONNECTION is not set or empty");

        env.put("STORAGE_CONNECTION", "");
        assertProblem(onlyProblem(f), f, 10, "spec.authentication.secretEnv",
                "environment variable STORAGE_CONNECTION is not set or empty");
    }

    @Test
    void secretEnvNotAVariableName() throws IOException {
        Path f = write("c.yaml", edit(SECRET_MODE, "authType: ACCOUNT_KEY",
                "authType: ACCOUNT_KEY\n    secretEnv: $KEY"));
        assertProblem(onlyProblem(f), f, 10, "spec.authentication.secretEnv",
                "expected an environment variable name, got \"$KEY\"");
    }

    @Test
    void secretGivenForManagedIdentity() throws IOException {
        write("key", "k");
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "authType: MANAGED_IDENTITY",
                "authType: MANAGED_IDENTITY\n    secretFile: key"));
        assertProblem(onlyProblem(f), f, 10, "spec.authentication.secretFile",
                "authType MANAGED_IDENTITY takes no secret", "CONNECTION_STRING, SAS or ACCOUNT_KEY");

        Path g = write("g.yaml", edit(PRODUCT_EXAMPLE, "authType: MANAGED_IDENTITY",
                "authType: ANONYMOUS\n    secretEnv: KEY"));
        assertProblem(onlyProblem(g), g, 10, "spec.authentication.secretEnv", "authType ANONYMOUS takes no secret");
    }

    @Test
    void clientIdOnSecretMode() throws IOException {
        env.put("KEY", "k");
        Path f = write("c.yaml", edit(SECRET_MODE, "authType: ACCOUNT_KEY",
                "authType: ACCOUNT_KEY\n    secretEnv: KEY\n    clientId: 0e1f2a3b-4c5d-6e7f-8091-a2b3c4d5e6f7"));
        assertProblem(onlyProblem(f), f, 11, "spec.authentication.clientId",
                "only MANAGED_IDENTITY and WORKLOAD_IDENTITY take a clientId", "ACCOUNT_KEY");
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "0e1f2a3b4c5d6e7f8091a2b3c4d5e6f7", "0e1f2a3b-4c5d-6e7f-8091-a2b3c4d5e6f", "{0e1f2a3b-4c5d-6e7f-8091-a2b3c4d5e6f7}"})
    void clientIdNotAGuid(String id) throws IOException {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "authType: MANAGED_IDENTITY",
                "authType: MANAGED_IDENTITY\n    clientId: \"" + id + "\""));
        assertProblem(onlyProblem(f), f, 10, "spec.authentication.clientId", "expected a client id (GUID",
                "got \"" + id + "\"");
    }

    // ---- blob account ------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"ftp://acct.blob.core.windows.net/", "acct.blob.core.windows.net",
            "https://acct.blob.core.windows.net/?sv=2022-11-02&sig=abc", "https://user:pw@acct.blob.core.windows.net/",
            "https:///path-only", "https://acct.blob.core.windows.net/#frag"})
    void badEndpoint(String endpoint) throws IOException {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "\"https://acct.blob.core.windows.net/\"", "\"" + endpoint + "\""));
        assertProblem(onlyProblem(f), f, 11, "spec.blobAccount.accountEndpoint", "expected an http(s) URL",
                "\"https://<account>.blob.core.windows.net/\"", "got \"" + endpoint + "\"");
    }

    @ParameterizedTest
    @ValueSource(strings = {"MANAGED_IDENTITY", "WORKLOAD_IDENTITY"})
    void identityOverPlainHttpIsRefused(String type) throws IOException {
        String endpoint = "http://127.0.0.1:10000/devstoreaccount1/";
        Path f = write("c.yaml", edit(edit(PRODUCT_EXAMPLE, "MANAGED_IDENTITY", type),
                "\"https://acct.blob.core.windows.net/\"", "\"" + endpoint + "\""));
        assertProblem(onlyProblem(f), f, 11, "spec.blobAccount.accountEndpoint", "authType " + type
                + " authenticates with bearer tokens, which Azure Storage accepts only over https; expected an https URL",
                "got \"" + endpoint + "\"");
    }

    @Test
    void endpointThatIsNotAUrl() throws IOException {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "\"https://acct.blob.core.windows.net/\"",
                "\"https://<STORAGE ACCOUNT NAME>.blob.core.windows.net/\""));
        assertProblem(onlyProblem(f), f, 11, "spec.blobAccount.accountEndpoint", "not a URL",
                "\"https://<STORAGE ACCOUNT NAME>.blob.core.windows.net/\"");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Media", "ab", "a--b", "-media", "media-", "my_container", "<your-blob-storage-account-container-name>"})
    void badContainerName(String name) throws IOException {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "containerName: media", "containerName: \"" + name + "\""));
        assertProblem(onlyProblem(f), f, 12, "spec.blobAccount.containerName",
                "expected 3-63 lowercase letters, digits and single hyphens", "got \"" + name + "\"");
    }

    @Test
    void containerNameTooLong() throws IOException {
        Path ok = write("ok.yaml", edit(PRODUCT_EXAMPLE, "containerName: media", "containerName: " + "a".repeat(63)));
        assertEquals("a".repeat(63), assertLoads(ok).blobAccount().containerName());
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "containerName: media", "containerName: " + "a".repeat(64)));
        assertProblem(onlyProblem(f), f, 12, "spec.blobAccount.containerName", "3-63");
    }

    // ---- schedule ----------------------------------------------------------------------------------

    @Test
    void invalidCron() throws IOException {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "\"@hourly\"", "\"61 * * * *\""));
        assertProblem(onlyProblem(f), f, 17, "spec.schedule.frequency", "\"61 * * * *\" is not a valid schedule",
                "expected \"never\", one of @annually @yearly @monthly @weekly @daily @hourly, or 5-field cron",
                "minute hour day-of-month month day-of-week");
    }

    @Test
    void sixFieldCron() throws IOException {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "\"@hourly\"", "\"0 30 2 * * *\""));
        assertProblem(onlyProblem(f), f, 17, "spec.schedule.frequency", "\"0 30 2 * * *\" has 6 fields",
                "expected \"never\"", "5-field cron");
    }

    @Test
    void cronThatNeverFires() throws IOException {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "\"@hourly\"", "\"0 0 30 2 *\""));
        assertProblem(onlyProblem(f), f, 17, "spec.schedule.frequency", "\"0 0 30 2 *\"", "never", "expected");
    }

    @Test
    void emptyFrequency() throws IOException {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "\"@hourly\"", "\"\""));
        assertProblem(onlyProblem(f), f, 17, "spec.schedule.frequency", "empty frequency; expected \"never\"");

        Path g = write("g.yaml", edit(PRODUCT_EXAMPLE, "frequency: \"@hourly\"", "frequency:"));
        assertProblem(onlyProblem(g), g, 17, "spec.schedule.frequency", "is empty; expected \"never\"");
    }

    @ParameterizedTest
    @ValueSource(strings = {"yes", "3f2b8c1e-9d4a-4c6b-8e2f", "3f2b8c1e9d4a4c6b8e2f1a2b3c4d5e6f", "{3f2b8c1e-9d4a-4c6b-8e2f-1a2b3c4d5e6f}"})
    void oneshotNotAUuid(String value) throws IOException {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "    oneshot:", "    oneshot: \"" + value + "\""));
        assertProblem(onlyProblem(f), f, 18, "spec.schedule.oneshot", "expected a UUID", "or nothing",
                "got \"" + value + "\"");
    }

    // ---- cache -------------------------------------------------------------------------------------

    @Test
    void maxSizeNotASize() throws IOException {
        Path f = write("c.yaml", PRODUCT_EXAMPLE + "  cache:\n    maxSize: lots\n");
        assertProblem(onlyProblem(f), f, 20, "spec.cache.maxSize", "\"lots\" is not a size", "expected",
                "Ki Mi Gi", "e.g. 50Gi");
    }

    @Test
    void maxSizeBelowMinimum() throws IOException {
        Path f = write("c.yaml", PRODUCT_EXAMPLE + "  cache:\n    maxSize: 1Mi\n");
        assertProblem(onlyProblem(f), f, 20, "spec.cache.maxSize", "expected at least 16Mi, got \"1Mi\"");
    }

    @Test
    void maxSizeTooLarge() throws IOException {
        Path f = write("c.yaml", PRODUCT_EXAMPLE + "  cache:\n    maxSize: 9000Ei\n");
        assertProblem(onlyProblem(f), f, 20, "spec.cache.maxSize", "\"9000Ei\" is too large", "expected");
    }

    @Test
    void relativeCacheDirectory() throws IOException {
        Path f = write("c.yaml", PRODUCT_EXAMPLE + "  cache:\n    directory: cache/media\n");
        assertProblem(onlyProblem(f), f, 20, "spec.cache.directory", "expected an absolute path, got \"cache/media\"");
    }

    @Test
    void cacheAsAString() throws IOException {
        Path f = write("c.yaml", PRODUCT_EXAMPLE + "  cache: /var/cache/media\n");
        assertProblem(onlyProblem(f), f, 19, "spec.cache", "expected a mapping with directory, maxSize and prefetch",
                "got \"/var/cache/media\"");
    }

    // ---- across subvolumes -------------------------------------------------------------------------

    private static String subvolume(String name, String path) {
        return edit(edit(PRODUCT_EXAMPLE, "name: media", "name: " + name), "path: mirrorSubDir", "path: " + path);
    }

    @Test
    void duplicateNameAcrossDocuments() throws IOException {
        Path f = write("c.yaml", subvolume("media", "one") + "---\n" + subvolume("media", "two")
                + "  cache:\n    directory: /srv/cache/two\n");
        // The second document starts on line 20; its metadata.name is on line 23.
        assertProblem(onlyProblem(f), f, 23, "metadata.name", "\"media\" is also the name of a subvolume in " + f,
                "names must be unique");
    }

    @Test
    void duplicateNameAcrossFilesOfADirectory() throws IOException {
        Path a = write("conf/a.yaml", subvolume("media", "one"));
        Path b = write("conf/b.yaml", subvolume("media", "two") + "  cache:\n    directory: /srv/cache/two\n");
        assertProblem(onlyProblem(dir.resolve("conf")), b, 4, "metadata.name", "\"media\" is also the name of a subvolume in " + a);
    }

    @Test
    void duplicatePath() throws IOException {
        Path f = write("c.yaml", subvolume("one", "shared") + "---\n" + subvolume("two", "shared/"));
        assertProblem(onlyProblem(f), f, 26, "spec.path", "\"shared\" is also the path of subvolume one in " + f,
                "paths must be unique");
    }

    @Test
    void overlappingPaths() throws IOException {
        Path f = write("c.yaml", subvolume("one", "a") + "---\n" + subvolume("two", "a/b"));
        assertProblem(onlyProblem(f), f, 26, "spec.path", "\"a/b\" overlaps the path \"a\" of subvolume one",
                "one subvolume cannot live inside another");

        Path g = write("g.yaml", subvolume("one", "a/b/c") + "---\n" + subvolume("two", "a"));
        assertProblem(onlyProblem(g), g, 26, "spec.path", "\"a\" overlaps the path \"a/b/c\" of subvolume one");
    }

    @Test
    void sameCacheDirectory() throws IOException {
        String cache = "  cache:\n    directory: /srv/cache/shared\n";
        Path f = write("c.yaml", subvolume("one", "one") + cache + "---\n" + subvolume("two", "two") + cache);
        // The second document starts on line 22; its cache directory is on line 41.
        assertProblem(onlyProblem(f), f, 41, "spec.cache.directory",
                "\"/srv/cache/shared\" is also the cache directory of subvolume one", "each needs its own");

        // An explicit directory equal to another subvolume's default one.
        Path g = write("g.yaml", subvolume("one", "one") + "---\n" + subvolume("two", "two")
                + "  cache:\n    directory: " + cacheRoot.resolve("one") + "\n");
        assertProblem(onlyProblem(g), g, 39, "spec.cache.directory", "is also the cache directory of subvolume one");

        // Two defaults collide only through equal names, which is reported at the name.
        Path h = write("h.yaml", subvolume("one", "one") + "---\n" + subvolume("one", "two"));
        List<ConfigProblem> all = problems(h);
        assertEquals(2, all.size(), text(all));
        assertProblem(about(all, "metadata.name"), h, 23, "metadata.name", "names must be unique");
        assertProblem(about(all, "spec.cache.directory"), h, 23, "spec.cache.directory", "each needs its own");
    }

    // ---- sources -----------------------------------------------------------------------------------

    @Test
    void missingSource() {
        Path missing = dir.resolve("nope.yaml");
        assertProblem(onlyProblem(missing), missing, 0, "", "no such file or directory");
    }

    @Test
    void directoryWithoutYamlFiles() throws IOException {
        Path conf = dir.resolve("conf");
        write("conf/notes.txt", "x");
        write("conf/.hidden.yaml", PRODUCT_EXAMPLE);
        assertProblem(onlyProblem(conf), conf, 0, "", "directory holds no *.yaml or *.yml files");

        Path emptyDir = Files.createDirectories(dir.resolve("empty"));
        assertProblem(onlyProblem(emptyDir), emptyDir, 0, "", "directory holds no *.yaml or *.yml files");
    }

    // ---- several problems at once ------------------------------------------------------------------

    @Test
    void everyProblemInAFileIsReported() throws IOException {
        Path f = write("c.yaml", edit(edit(edit(edit(edit(edit(PRODUCT_EXAMPLE,
                "name: media", "name: Media"),
                "path: mirrorSubDir", "path: /mirrorSubDir"),
                "MANAGED_IDENTITY", "managed_identity"),
                "containerName: media", "containerName: Media"),
                "\"@hourly\"", "\"@every 5m\""),
                "    oneshot:", "    oneshot: now") + "  cache:\n    maxSize: lots\n");
        List<ConfigProblem> all = problems(f);
        assertEquals(7, all.size(), text(all));
        assertProblem(about(all, "metadata.name"), f, 4, "metadata.name", "got \"Media\"");
        assertProblem(about(all, "spec.path"), f, 7, "spec.path", "must not start with '/'");
        assertProblem(about(all, "spec.authentication.authType"), f, 9, "spec.authentication.authType",
                "did you mean MANAGED_IDENTITY?");
        assertProblem(about(all, "spec.blobAccount.containerName"), f, 12, "spec.blobAccount.containerName",
                "got \"Media\"");
        assertProblem(about(all, "spec.schedule.frequency"), f, 17, "spec.schedule.frequency",
                "\"@every 5m\" is not a valid schedule");
        assertProblem(about(all, "spec.schedule.oneshot"), f, 18, "spec.schedule.oneshot", "got \"now\"");
        assertProblem(about(all, "spec.cache.maxSize"), f, 20, "spec.cache.maxSize", "\"lots\" is not a size");
    }

    @Test
    void problemsInEveryFileAndDocumentAreReported() throws IOException {
        Path a = write("conf/a.yaml", edit(PRODUCT_EXAMPLE, "kind: MirrorSubvolume", "kind: Other")
                + "---\n" + edit(subvolume("two", "two"), "NoIndexTags", "Tags"));
        Path b = write("conf/b.yml", "");
        Path c = write("conf/c.yaml", subvolume("three", "three"));
        List<ConfigProblem> all = problems(dir.resolve("conf"));
        assertEquals(3, all.size(), text(all));
        assertProblem(about(all, "kind"), a, 2, "kind", "got \"Other\"");
        assertProblem(about(all, "spec.blobAccount.indexTagsMode"), a, 32, "spec.blobAccount.indexTagsMode",
                "got \"Tags\"");
        assertProblem(about(all, ""), b, 0, "", "file is empty");
        assertTrue(text(all).lines().noneMatch(l -> l.startsWith(c.toString())), text(all));
    }

    private SubvolumeConfig assertLoads(Path f) {
        try {
            return load(f).subvolumes().get(0);
        } catch (ConfigException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }
}
