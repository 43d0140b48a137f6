package io.cloudmirror.origin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;

/** How the {@link Azurite} extension finds Azurite and how it fails: loudly, with a way out. */
class AzuriteTest {

    private static final String HINT = "npm ci --prefix tools/azurite";

    @TempDir
    Path dir;

    private Path script(String name, String body) throws Exception {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        Files.writeString(p, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    @Test
    void notFoundFailsWithInstallInstructions() {
        AssertionFailedError e = assertThrows(AssertionFailedError.class,
                () -> Azurite.locate(null, "", dir.resolve("a/b")));
        assertTrue(e.getMessage().contains(HINT), e.getMessage());
        assertTrue(e.getMessage().contains(dir.resolve("a/b").resolve(Azurite.RELATIVE).toString()),
                "names where it looked: " + e.getMessage());
    }

    @Test
    void explicitPathThatDoesNotExistFailsRatherThanFallingBack() throws Exception {
        script("tools/azurite/node_modules/.bin/azurite-blob", "exit 0");
        AssertionFailedError e = assertThrows(AssertionFailedError.class,
                () -> Azurite.locate(dir.resolve("nope").toString(), null, dir));
        assertTrue(e.getMessage().contains(Azurite.PROPERTY) && e.getMessage().contains(HINT), e.getMessage());
        e = assertThrows(AssertionFailedError.class, () -> Azurite.locate(null, dir.resolve("nope").toString(), dir));
        assertTrue(e.getMessage().contains(Azurite.ENV) && e.getMessage().contains(HINT), e.getMessage());
    }

    @Test
    void propertyThenEnvironmentThenSearchUpwards() throws Exception {
        Path inTree = script("tools/azurite/node_modules/.bin/azurite-blob", "exit 0");
        Path fromProperty = script("p/azurite-blob", "exit 0");
        Path fromEnv = script("e/azurite-blob", "exit 0");
        Path deep = Files.createDirectories(dir.resolve("x/y/z"));
        assertEquals(fromProperty, Azurite.locate(fromProperty.toString(), fromEnv.toString(), deep));
        assertEquals(fromEnv, Azurite.locate(" ", fromEnv.toString(), deep));
        assertEquals(inTree, Azurite.locate(null, null, deep));
        assertEquals(inTree, Azurite.locate(null, null, dir));
    }

    @Test
    void anAzuriteThatExitsFailsWithTheTailOfItsLog() throws Exception {
        Path fake = script("fake-azurite", "echo \"fake azurite was given: $*\"; echo 'Exit due to boom' >&2; exit 3");
        Azurite azurite = new Azurite(fake, Duration.ofSeconds(20));
        AssertionFailedError e = assertThrows(AssertionFailedError.class, azurite::start);
        String m = e.getMessage();
        assertTrue(m.contains("exited with status 3"), m);
        assertTrue(m.contains("Exit due to boom"), "stderr is in the log tail: " + m);
        assertTrue(m.contains("--disableTelemetry") && m.contains("--silent") && m.contains("--blobHost 127.0.0.1"),
                "telemetry off, loopback only: " + m);
        assertTrue(m.contains(HINT), m);
        assertFalse(azurite.isRunning());
        azurite.stop();
        deleteTree(azurite.logFile().getParent());
    }

    @Test
    void anAzuriteThatNeverAnswersTimesOutAndIsKilled() throws Exception {
        Path pidFile = dir.resolve("pid");
        Path fake = script("hung-azurite", "echo $$ > " + pidFile + "; exec sleep 300");
        Azurite azurite = new Azurite(fake, Duration.ofSeconds(2));
        long t0 = System.nanoTime();
        AssertionFailedError e = assertThrows(AssertionFailedError.class, azurite::start);
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertTrue(e.getMessage().contains("did not answer within 2 s"), e.getMessage());
        assertTrue(e.getMessage().contains(HINT), e.getMessage());
        assertTrue(took.compareTo(Duration.ofSeconds(30)) < 0, "gave up after " + took);
        long pid = Long.parseLong(Files.readString(pidFile).strip());
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "the hung process was killed");
        deleteTree(azurite.logFile().getParent());
    }

    private static void deleteTree(Path root) throws Exception {
        try (var walk = Files.walk(root)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Test
    void unusableExecutableFails() throws Exception {
        Path notExecutable = dir.resolve("plain-file");
        Files.writeString(notExecutable, "");
        AssertionFailedError e = assertThrows(AssertionFailedError.class,
                new Azurite(notExecutable, Duration.ofSeconds(5))::start);
        assertTrue(e.getMessage().contains(HINT), e.getMessage());
    }
}
