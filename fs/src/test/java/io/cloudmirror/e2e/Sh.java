package io.cloudmirror.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs commands for end-to-end tests, as a user would type them. Shared with the packaging tests through
 * this module's test-jar. Stateless.
 */
public final class Sh {

    /** What a command did. */
    public record Result(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
        }
    }

    private Sh() {
    }

    /** Runs {@code bash -c script}. */
    public static Result bash(String script) throws IOException, InterruptedException {
        return run(List.of("bash", "-c", script), Map.of(), null, Duration.ofMinutes(5));
    }

    /** Runs {@code bash -c script} in {@code dir}. */
    public static Result bash(Path dir, String script) throws IOException, InterruptedException {
        return run(List.of("bash", "-c", script), Map.of(), dir, Duration.ofMinutes(5));
    }

    public static Result run(List<String> cmd, Map<String, String> env, Path dir, Duration timeout)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(cmd));
        pb.environment().putAll(env);
        if (dir != null) {
            pb.directory(dir.toFile());
        }
        Path out = java.nio.file.Files.createTempFile("sh-out", ".txt");
        Path err = java.nio.file.Files.createTempFile("sh-err", ".txt");
        try {
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out after " + timeout + ": " + cmd);
            }
            return new Result(p.exitValue(), java.nio.file.Files.readString(out, StandardCharsets.UTF_8),
                    java.nio.file.Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            java.nio.file.Files.deleteIfExists(out);
            java.nio.file.Files.deleteIfExists(err);
        }
    }
}
