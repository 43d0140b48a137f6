package io.cloudmirror.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** Shared helpers: YAML files in a temporary directory, an injected environment and cache root. */
abstract class ConfigTestSupport {

    /**
     * The product document's example, indented as intended. Line numbers (1-based) matter to the tests:
     * 1 apiVersion, 4 metadata.name, 7 spec.path, 9 authType, 11 accountEndpoint, 12 containerName,
     * 13 indexTagsMode, 15 blobNamePrefix, 17 frequency, 18 oneshot.
     */
    static final String PRODUCT_EXAMPLE = """
            apiVersion: "arccontainerstorage.azure.net/v1"
            kind: MirrorSubvolume
            metadata:
              name: media
            spec:
              edgevolume: edge1
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
            """;

    @TempDir
    Path dir;

    final Map<String, String> env = new HashMap<>();
    Path cacheRoot;

    @BeforeEach
    void setUpCacheRoot() {
        cacheRoot = dir.resolve("cache-root");
    }

    ConfigLoader loader() {
        return new ConfigLoader(env::get, cacheRoot);
    }

    Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text, StandardCharsets.UTF_8);
        return p;
    }

    MirrorConfig load(Path source) throws ConfigException {
        return loader().load(source);
    }

    /** Loads {@code source}, expecting failure, and returns every problem reported. */
    List<ConfigProblem> problems(Path source) {
        ConfigException e = assertThrows(ConfigException.class, () -> loader().load(source));
        assertEquals(e.problems().stream().map(ConfigProblem::toString).collect(Collectors.joining("\n")),
                e.getMessage(), "the exception message lists every problem");
        return e.problems();
    }

    /** Loads {@code source}, expecting exactly one problem. */
    ConfigProblem onlyProblem(Path source) {
        List<ConfigProblem> all = problems(source);
        assertEquals(1, all.size(), () -> "expected exactly one problem, got:\n" + text(all));
        return all.get(0);
    }

    /** Writes {@code yaml} as {@code name} and expects exactly one problem. */
    ConfigProblem onlyProblem(String name, String yaml) throws IOException {
        return onlyProblem(write(name, yaml));
    }

    /** {@code text} with {@code from} replaced by {@code to}; fails if {@code from} does not occur. */
    static String edit(String text, String from, String to) {
        assertTrue(text.contains(from), () -> "test bug: \"" + from + "\" not in\n" + text);
        return text.replace(from, to);
    }

    /**
     * Asserts the problem's text starts with {@code <file>:<line>: <field>: } (no line part when
     * {@code line} is 0, no field part when {@code field} is empty) and contains every fragment.
     */
    static void assertProblem(ConfigProblem p, Path file, int line, String field, String... fragments) {
        String text = p.toString();
        String head = file + (line > 0 ? ":" + line : "") + ": " + (field.isEmpty() ? "" : field + ": ");
        assertTrue(text.startsWith(head), () -> "expected the problem to start with\n  " + head + "\nbut was\n  " + text);
        assertEquals(file, p.file(), text);
        assertEquals(line, p.line(), text);
        assertEquals(field, p.field(), text);
        for (String f : fragments) {
            assertTrue(text.contains(f), () -> "expected the problem to contain\n  " + f + "\nbut was\n  " + text);
        }
    }

    /** The problem about {@code field}; fails unless exactly one is. */
    static ConfigProblem about(List<ConfigProblem> problems, String field) {
        List<ConfigProblem> hits = problems.stream().filter(p -> p.field().equals(field)).toList();
        assertEquals(1, hits.size(), () -> "expected one problem about " + field + " in:\n" + text(problems));
        return hits.get(0);
    }

    static String text(List<ConfigProblem> problems) {
        return problems.stream().map(ConfigProblem::toString).collect(Collectors.joining("\n"));
    }
}
