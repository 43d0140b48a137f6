package io.cloudmirror.cli;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts the daemon in the background and waits until its mount is live. libfuse always runs in the
 * foreground under libfuse, so backgrounding is done here: the same JVM command line is started again
 * with {@code -f} in a new session ({@code setsid}), its output going to the log file, and this process
 * waits for the ready file the daemon writes once the kernel serves the mount point. If the daemon
 * exits first, its last log lines are shown and the launch fails. Stateless.
 */
final class Launcher {

    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    private Launcher() {
    }

    /**
     * Runs {@code io.cloudmirror.cli.Main} with {@code args} in the background and waits for readiness.
     *
     * @return 0 once the mount is live, 1 if the daemon failed (its log tail is printed to stderr)
     */
    static int spawnAndWait(List<String> args, Path logFile, Path readyFile) throws IOException, InterruptedException {
        Files.createDirectories(logFile.getParent());
        Files.createDirectories(readyFile.getParent());
        Files.deleteIfExists(readyFile);
        long logStart = Files.exists(logFile) ? Files.size(logFile) : 0;
        List<String> cmd = new ArrayList<>();
        if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
            cmd.add("/usr/bin/setsid");
        }
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString()));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            // the launcher may run with the client compiler only (packaging/cloudmirror); the daemon runs long
            if (!a.startsWith("-agentlib:") && !a.startsWith("-javaagent:") && !a.startsWith("-XX:TieredStopAtLevel=")) {
                cmd.add(a);
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("NOTIFY_SOCKET"); // the daemon is not the process systemd started; this one is
        Process child = pb
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .redirectErrorStream(true)
                .start();
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(readyFile) && Files.size(readyFile) > 0) {
                Files.deleteIfExists(readyFile);
                return 0;
            }
            if (!child.isAlive()) {
                System.err.println("cloudmirror: the daemon exited with status " + child.exitValue()
                        + " before the mount was live; from " + logFile + ":");
                System.err.println(tail(logFile, logStart));
                return 1;
            }
            Thread.sleep(20);
        }
        child.destroy();
        System.err.println("cloudmirror: the mount was not live after " + TIMEOUT.toSeconds() + " s; see " + logFile);
        return 1;
    }

    private static String tail(Path logFile, long from) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(logFile.toFile(), "r")) {
            long start = Math.max(from, f.length() - 8192);
            f.seek(start);
            byte[] b = new byte[(int) (f.length() - start)];
            f.readFully(b);
            return new String(b, StandardCharsets.UTF_8).stripTrailing();
        }
    }
}
