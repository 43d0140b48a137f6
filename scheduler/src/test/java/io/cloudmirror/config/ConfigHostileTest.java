package io.cloudmirror.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Hostile configuration files beyond the malformed-value catalogue ({@link ConfigLoaderProblemsTest}): YAML
 * type tags that would instantiate classes or decode data, deep nesting, huge values, control characters,
 * nulls, YAML 1.1 booleans and dates, credentials inside the endpoint, and Windows line endings. Each is refused
 * with one problem naming the file, line and field and what was expected (or loaded, where harmless); none
 * crashes the loader, and no problem echoes an unbounded value or a raw control character.
 */
class ConfigHostileTest extends ConfigTestSupport {

    private static final String CONTAINER = "containerName: media";
    private static final String NAMES = "; expected a container name";

    @Test
    void javaTypeTagsAreRefusedNotInstantiated() throws IOException {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, CONTAINER, "containerName: !!javax.script.ScriptEngineManager "
                + "[!!java.net.URLClassLoader [[!!java.net.URL [\"http://127.0.0.1:1/\"]]]]"));
        assertProblem(onlyProblem(f), f, 12, "", "not valid YAML", "Global tag is not allowed");
    }

    @Test
    void binaryAndCustomTagsAreRefused() throws IOException {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, CONTAINER, "containerName: !!binary bWVkaWE="));
        assertProblem(onlyProblem(f), f, 12, "spec.blobAccount.containerName", "the YAML tag !!binary is not supported",
                NAMES);
        Path g = write("d.yaml", edit(PRODUCT_EXAMPLE, CONTAINER, "containerName: !secret media"));
        assertProblem(onlyProblem(g), g, 12, "spec.blobAccount.containerName", "the YAML tag !secret is not supported",
                NAMES);
    }

    @Test
    void deepNestingIsRefusedWithoutStackOverflow() throws IOException {
        String deep = "[".repeat(50_000) + "]".repeat(50_000);
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "edgevolume: edge1", "edgevolume: " + deep));
        ConfigProblem p = onlyProblem(f);
        assertProblem(p, f, 0, "", "not valid YAML");
        assertTrue(p.toString().length() < 500, p.toString());
    }

    @Test
    void hugeValueIsRefusedWithoutEchoingIt() throws IOException {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, CONTAINER, "containerName: " + "a".repeat(1_000_000)));
        ConfigProblem p = onlyProblem(f);
        assertProblem(p, f, 12, "spec.blobAccount.containerName",
                "a value of 1000000 characters is too long (at most 4096)", NAMES);
        assertTrue(p.toString().length() < 500, "the value is not echoed: " + p.toString().length() + " characters");
    }

    @Test
    void controlCharactersAreRefusedWithoutEchoingThem() throws IOException {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, CONTAINER, "containerName: \"me\\u0000dia\""));
        ConfigProblem p = onlyProblem(f);
        assertProblem(p, f, 12, "spec.blobAccount.containerName",
                "the value holds the control character U+0000 at character 3", NAMES);
        assertFalse(p.toString().contains("\0"), p.toString());
        Path g = write("d.yaml", edit(PRODUCT_EXAMPLE, "blobNamePrefix:", "blobNamePrefix: \"a\\nb\""));
        assertProblem(onlyProblem(g), g, 15, "spec.blobFiltering.blobNamePrefix",
                "the value holds the control character U+000A at character 2");
        Path h = write("e.yaml", edit(PRODUCT_EXAMPLE, CONTAINER, "containerName: me\u0007dia"));
        assertProblem(onlyProblem(h), h, 0, "", "not valid YAML", "special characters are not allowed");
    }

    @Test
    void nullsWhereValuesAreRequired() throws IOException {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, CONTAINER, "containerName: ~"));
        assertProblem(onlyProblem(f), f, 12, "spec.blobAccount.containerName", "is empty; expected a container name");
        Path g = write("d.yaml", edit(PRODUCT_EXAMPLE, "path: mirrorSubDir # Don't use a preceding slash", "path: null"));
        assertProblem(onlyProblem(g), g, 7, "spec.path", "is empty; expected a subdirectory name such as mirrorSubDir");
    }

    @Test
    void yaml11BooleansAndDatesAreTakenAsSpelled() throws Exception {
        // YAML 1.1 would read these as true and a date; a config means the text it shows.
        MirrorConfig c = load(write("c.yaml", edit(PRODUCT_EXAMPLE, "path: mirrorSubDir # Don't use a preceding slash",
                "path: yes")));
        assertEquals("yes", c.subvolumes().get(0).path());
        Path g = write("d.yaml", edit(PRODUCT_EXAMPLE, "frequency: \"@hourly\"", "frequency: 5"));
        assertProblem(onlyProblem(g), g, 17, "spec.schedule.frequency", "\"5\"", "expected \"never\"");
        Path h = write("e.yaml", edit(PRODUCT_EXAMPLE, "oneshot:", "oneshot: 2024-01-01"));
        assertProblem(onlyProblem(h), h, 18, "spec.schedule.oneshot", "expected a UUID", "got \"2024-01-01\"");
    }

    @Test
    void endpointWithCredentialsOrQueryIsRefused() throws IOException {
        Path f = write("c.yaml", edit(PRODUCT_EXAMPLE, "https://acct.blob.core.windows.net/",
                "https://user:hunter2@acct.blob.core.windows.net/?sv=2022&sig=c2VjcmV0"));
        assertProblem(onlyProblem(f), f, 11, "spec.blobAccount.accountEndpoint",
                "expected an http(s) URL without query, fragment or credentials");
    }

    @Test
    void windowsLineEndingsLoad() throws Exception {
        MirrorConfig c = load(write("c.yaml", PRODUCT_EXAMPLE.replace("\n", "\r\n")));
        assertEquals(1, c.subvolumes().size());
        assertEquals("mirrorSubDir", c.subvolumes().get(0).path());
    }
}
