package io.cloudmirror.origin;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.opentest4j.AssertionFailedError;

/**
 * An {@link AzureBlobOrigin} in a child JVM with an environment of the test's choosing, driven line by line
 * over its standard input. For credentials that read the process environment, as managed identity does
 * (MSAL reads {@code IDENTITY_ENDPOINT} and friends with {@link System#getenv}): the child runs exactly the
 * code a daemon runs, with the environment and JVM trust options a daemon would have.
 *
 * <p>Commands: {@code probe}, {@code list}, {@code read NAME}; each answers one line: {@code OK probe
 * Connected}, {@code OK list COUNT}, {@code OK read SHA256}, or {@code ERR KIND CONNECTION MESSAGE}. The child's
 * standard error (the SDK's logs) goes to {@link #log()}. Not thread-safe: one test drives one child.
 */
public final class OriginProcess implements AutoCloseable {

    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(120);

    private final Process process;
    private final PrintWriter in;
    private final BlockingQueue<String> answers = new ArrayBlockingQueue<>(64);
    private final Path log;

    private OriginProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
        this.in = new PrintWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8), true);
        Thread reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null; ) {
                    answers.put(line);
                }
            } catch (IOException | InterruptedException ignored) {
                // the child is gone
            }
        }, "origin-process-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts a child JVM serving an origin over {@code endpoint}/{@code container} with a managed identity
     * ({@code clientId} may be empty), the given environment added to a minimal one, and the test certificate
     * trusted through the standard {@code javax.net.ssl.trustStore} properties.
     */
    public static OriginProcess managedIdentity(String endpoint, String container, String clientId,
                                                Map<String, String> env, Path log) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx192m");
        cmd.add("-XX:+UseSerialGC");
        cmd.addAll(TestTls.shared().trustStoreProperties());
        cmd.add("-Djdk.httpclient.allowRestrictedHeaders=content-length");
        cmd.add("-cp");
        cmd.add(classPath());
        cmd.add(Child.class.getName());
        cmd.add(endpoint);
        cmd.add(container);
        cmd.add(clientId);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Map<String, String> environment = pb.environment();
        environment.keySet().removeIf(k -> k.startsWith("AZURE_") || k.startsWith("IDENTITY_") || k.startsWith("MSI_")
                || k.equals("IMDS_ENDPOINT"));
        environment.putAll(env);
        try {
            return new OriginProcess(pb.start(), log);
        } catch (IOException e) {
            throw new AssertionFailedError("cannot start a child JVM: " + e, e);
        }
    }

    /** Sends {@code command} and returns the child's answer. */
    public String call(String command) {
        in.println(command);
        try {
            String answer = answers.poll(ANSWER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            if (answer == null) {
                throw new AssertionFailedError("no answer to '" + command + "' within " + ANSWER_TIMEOUT
                        + (process.isAlive() ? "" : " (the child exited with " + process.exitValue() + ")")
                        + "; its log:\n" + logText());
            }
            return answer;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionFailedError("interrupted", e);
        }
    }

    /** The child's standard error so far. */
    public String logText() {
        try {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    /** Where the child's standard error goes. */
    public Path log() {
        return log;
    }

    @Override
    public void close() {
        in.close();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    private static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }

    /** The child's main: an origin answering commands until its standard input ends. */
    public static final class Child {
        private Child() {
        }

        public static void main(String[] args) throws Exception {
            String clientId = args.length > 2 ? args[2] : "";
            AzureSettings settings = AzureSettings.of(java.net.URI.create(args[0]), args[1],
                    new AzureCredential.ManagedIdentity(clientId), false);
            BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            try (AzureBlobOrigin origin = AzureBlobOrigin.create(settings)) {
                for (String line; (line = commands.readLine()) != null; ) {
                    System.out.println(answer(origin, line.strip()).replace('\n', ' ').replace('\r', ' '));
                    System.out.flush();
                }
            }
            System.exit(0);
        }

        private static String answer(AzureBlobOrigin origin, String command) {
            try {
                if (command.equals("probe")) {
                    Probe p = origin.probe();
                    return p.connection() == BackendConnection.CONNECTED ? "OK probe Connected"
                            : "ERR probe " + p.connection().display() + " " + p.detail();
                }
                if (command.equals("list")) {
                    long[] n = new long[1];
                    origin.list("", item -> n[0]++);
                    return "OK list " + n[0];
                }
                if (command.startsWith("read ")) {
                    String name = command.substring(5);
                    String[] etag = new String[1];
                    long[] size = new long[1];
                    origin.list(name, item -> {
                        if (item.name().equals(name)) {
                            etag[0] = item.etag();
                            size[0] = item.size();
                        }
                    });
                    if (etag[0] == null) {
                        return "ERR read NotListed " + name;
                    }
                    ByteBuffer dst = ByteBuffer.allocate((int) size[0]);
                    while (dst.hasRemaining()) {
                        if (origin.read(name, etag[0], dst.position(), dst) == 0) {
                            break;
                        }
                    }
                    return "OK read " + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                            .digest(dst.array()));
                }
                return "ERR usage unknown command: " + command;
            } catch (OriginException e) {
                return "ERR " + e.getClass().getSimpleName() + " " + e.connection().display() + " " + e.getMessage();
            } catch (Exception e) {
                return "ERR " + e.getClass().getSimpleName() + " - " + e.getMessage();
            }
        }
    }
}
