package io.cloudmirror.packaging;

import static org.junit.jupiter.api.Assertions.fail;

import io.cloudmirror.e2e.Sh;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A stand-in for a Kubernetes pod that mounts a host directory by hostPath with {@code HostToContainer}
 * propagation: a process in a mount namespace of its own whose mounts are slaves of the host's
 * ({@code unshare --mount --propagation slave}), with the host directory bind-mounted recursively and as a
 * slave at the pod's {@code /data}, as the container runtime does. Commands run inside it through nsenter,
 * as root or as another uid. Not thread-safe.
 */
final class Pod implements AutoCloseable {

    private final Process process;
    /** Where the pod sees the host directory (its {@code /data}). */
    final Path data;

    private Pod(Process process, Path data) {
        this.process = process;
        this.data = data;
    }

    /** Starts a pod that sees {@code hostDir} at {@code data}; returns once the bind mount is in place. */
    static Pod start(Path hostDir, Path data) throws IOException {
        Files.createDirectories(data);
        Process p = new ProcessBuilder("unshare", "--mount", "--propagation", "slave", "sh", "-c",
                "mount --rbind \"$0\" \"$1\" && mount --make-rslave \"$1\" && echo up && exec sleep 3600",
                hostDir.toString(), data.toString())
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String first = out.readLine();
        if (!"up".equals(first)) {
            p.destroyForcibly();
            fail("the pod's mount namespace could not be set up: " + first);
        }
        return new Pod(p, data);
    }

    /** Runs {@code script} with {@code sh -c} as root inside the pod. */
    Sh.Result exec(String script) throws IOException, InterruptedException {
        return Sh.run(List.of("nsenter", "--target", Long.toString(process.pid()), "--mount", "--", "sh", "-c", script),
                Map.of(), null, Duration.ofMinutes(2));
    }

    /** Runs {@code script} inside the pod as {@code uid} (group {@code uid}, no supplementary groups). */
    Sh.Result execAs(int uid, String script) throws IOException, InterruptedException {
        return Sh.run(List.of("nsenter", "--target", Long.toString(process.pid()), "--mount", "--", "setpriv",
                "--reuid=" + uid, "--regid=" + uid, "--clear-groups", "sh", "-c", script), Map.of(), null,
                Duration.ofMinutes(2));
    }

    /** The pod's mount table lines for mount points under its {@code /data}. */
    String mounts() throws IOException, InterruptedException {
        return exec("grep ' " + data + "' /proc/self/mountinfo || true").out();
    }

    /** Ends the pod; its mount namespace goes with its only process. */
    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }
}
