package io.cloudmirror.origin;

import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.http.policy.HttpLogDetailLevel;
import com.azure.core.http.policy.HttpLogOptions;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.common.StorageSharedKeyCredential;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.opentest4j.AssertionFailedError;

/**
 * A real Azurite blob service on a free loopback port, for integration tests:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final Azurite AZURITE = new Azurite();
 * }</pre>
 *
 * <p>Started before the first test of the class that registers it and stopped (its whole process tree)
 * after the last. Data lives in a fresh temporary directory; {@link #stop()} and {@link #start()} take the
 * service down and bring it back on the same port over the same data, for offline tests. Azurite runs with
 * {@code --silent --disableTelemetry}; its console output goes to {@link #logFile()}, whose tail is part of
 * every start failure.
 *
 * <p>The {@code azurite-blob} executable comes from the system property {@value #PROPERTY}, else the
 * environment variable {@value #ENV}, else the first {@value #RELATIVE} found walking up from the working
 * directory. If none exists or Azurite does not come up within the start timeout (30 s, or
 * {@code -Dcloudmirror.azurite.startTimeout=SECONDS}), the tests fail (they are not skipped) with a message
 * saying how to install it. {@code -Dcloudmirror.azurite.keep=true} keeps the temporary directory and
 * {@code -Dcloudmirror.azurite.debug=true} adds Azurite's debug log to it.
 *
 * <p>Azurite is launched under a small {@code /bin/sh} watchdog that terminates it when this JVM's pipe to
 * it closes, so no Azurite outlives the test JVM, even one killed with SIGKILL.
 *
 * <p>{@link #withOAuth()} starts it over HTTPS with {@code --oauth basic}, so that bearer tokens (managed and
 * workload identity) are accepted: the certificate is {@link TestTls#shared()}, which this JVM then trusts.
 * Azurite checks a token's lifetime, issuer and audience but not its signature; it refuses bearer tokens
 * over plain HTTP, as Azure Storage does. Shared key, SAS and anonymous access work over HTTPS too.
 */
public final class Azurite implements BeforeAllCallback, AfterAllCallback {

    /** Azurite's well-known development account. */
    public static final String ACCOUNT_NAME = "devstoreaccount1";

    /** Azurite's well-known development key (public; not a secret). */
    public static final String ACCOUNT_KEY =
            "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    /** System property naming the azurite-blob executable. */
    public static final String PROPERTY = "cloudmirror.azurite";

    /** Environment variable naming the azurite-blob executable. */
    public static final String ENV = "AZURITE_BLOB";

    /** Where the project keeps its pinned Azurite, relative to the project root. */
    public static final String RELATIVE = "tools/azurite/node_modules/.bin/azurite-blob";

    /** How to get Azurite; part of every failure message. */
    public static final String INSTALL_HINT = "Azurite is required by this integration test. Install the pinned "
            + "version once with `npm ci --prefix tools/azurite` in the project root (needs Node.js 18+ and npm), "
            + "or point -D" + PROPERTY + "=/path/to/azurite-blob or the environment variable " + ENV
            + " at an azurite-blob executable.";

    static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);
    private static final String READY_LINE = "successfully listens on";
    private static final int LOG_TAIL_LINES = 40;
    /** Azurite binds IPv4 loopback only; never let the JVM pick ::1 for "loopback". */
    private static final InetAddress LOOPBACK = ipv4Loopback();

    /**
     * Runs {@code "$@"} (Azurite) in the background and a watcher that sends it SIGTERM when our stdin
     * reaches EOF (the JVM closed the pipe or died); exits with Azurite's status once Azurite exits.
     */
    private static final String WATCHDOG = String.join("\n",
            "exec 3<&0",
            "\"$@\" </dev/null 3<&- &",
            "child=$!",
            "( while IFS= read -r _; do :; done; kill -TERM \"$child\" 2>/dev/null ) <&3 &",
            "watcher=$!",
            "exec 3<&-",
            "trap 'kill -TERM \"$child\" 2>/dev/null' TERM INT HUP",
            "while :; do",
            "  wait \"$child\"; rc=$?",
            "  kill -0 \"$child\" 2>/dev/null || break",
            "done",
            "kill \"$watcher\" 2>/dev/null",
            "exit \"$rc\"");

    private final Path explicitExecutable;
    private final Duration startTimeout;
    private final TestTls tls;

    private Path executable;
    private Path workDir;
    private Path dataDir;
    private Path logFile;
    private int port = -1;
    private Process process;
    private Thread shutdownHook;
    private String owner;
    private boolean startFailed;
    private BlobServiceClient serviceClient;

    /** Locates azurite-blob as the class documentation says; start timeout 30 s unless overridden. */
    public Azurite() {
        this(null, configuredStartTimeout());
    }

    /** Uses {@code executable} (or locates it when {@code null}) and waits up to {@code startTimeout}. */
    public Azurite(Path executable, Duration startTimeout) {
        this(executable, startTimeout, null);
    }

    private Azurite(Path executable, Duration startTimeout, TestTls tls) {
        this.explicitExecutable = executable;
        this.startTimeout = startTimeout;
        this.tls = tls;
    }

    /** Azurite over HTTPS with {@code --oauth basic}, so that it takes bearer tokens (see the class doc). */
    public static Azurite withOAuth() {
        return new Azurite(null, configuredStartTimeout(), TestTls.shared());
    }

    private static Duration configuredStartTimeout() {
        String s = System.getProperty("cloudmirror.azurite.startTimeout", "").strip();
        if (s.isEmpty()) {
            return DEFAULT_START_TIMEOUT;
        }
        return Duration.ofSeconds(Long.parseLong(s));
    }

    // ---------------------------------------------------------------------------------------- JUnit

    @Override
    public synchronized void beforeAll(ExtensionContext context) {
        if (owner != null) {
            return; // already started by an enclosing class (nested tests)
        }
        owner = context.getUniqueId();
        start();
    }

    @Override
    public synchronized void afterAll(ExtensionContext context) {
        if (!context.getUniqueId().equals(owner)) {
            return;
        }
        owner = null;
        try {
            stop();
        } finally {
            if (!startFailed && !Boolean.getBoolean("cloudmirror.azurite.keep")) {
                deleteWorkDir();
            }
        }
    }

    // ------------------------------------------------------------------------------------ lifecycle

    /**
     * Starts Azurite and returns once it answers HTTP requests. The first start picks a free port and a
     * fresh data directory; later starts (after {@link #stop()}) reuse both. No-op if already running.
     *
     * @throws AssertionFailedError if azurite-blob cannot be found or does not come up in time
     */
    public synchronized void start() {
        if (isRunning()) {
            return;
        }
        if (executable == null) {
            executable = explicitExecutable != null ? explicitExecutable
                    : locate(System.getProperty(PROPERTY), System.getenv(ENV), Path.of("").toAbsolutePath());
        }
        if (!Files.isRegularFile(executable) || !Files.isExecutable(executable)) {
            startFailed = true;
            throw new AssertionFailedError("Azurite executable " + executable + " is missing or not executable. "
                    + INSTALL_HINT);
        }
        try {
            if (workDir == null) {
                workDir = Files.createTempDirectory("cloudmirror-azurite-");
                dataDir = Files.createDirectories(workDir.resolve("data"));
                logFile = workDir.resolve("azurite.log");
                Files.createFile(logFile);
            }
        } catch (IOException e) {
            startFailed = true;
            throw new AssertionFailedError("cannot create Azurite's temporary directory: " + e, e);
        }
        boolean fixedPort = port > 0;
        Instant deadline = Instant.now().plus(startTimeout);
        int attempt = 0;
        while (true) {
            attempt++;
            if (!fixedPort) {
                port = freePort();
            }
            long logOffset = logSize();
            Process p = launch();
            String problem = awaitReady(p, logOffset, deadline);
            if (problem == null) {
                process = p;
                shutdownHook = new Thread(() -> destroyTree(p, true), "azurite-shutdown-" + port);
                Runtime.getRuntime().addShutdownHook(shutdownHook);
                startFailed = false;
                return;
            }
            destroyTree(p, false);
            boolean portTaken = logSince(logOffset).contains("EADDRINUSE");
            if (portTaken && Instant.now().isBefore(deadline) && (fixedPort || attempt < 5)) {
                appendLog("port " + port + " is in use; " + (fixedPort ? "waiting for it" : "trying another port"));
                sleep(fixedPort ? 250 : 0);
                continue;
            }
            startFailed = true;
            throw new AssertionFailedError("Azurite (" + executable + ") did not start on 127.0.0.1:" + port
                    + ": " + problem + ".\n" + INSTALL_HINT + "\n" + logReport());
        }
    }

    /**
     * Stops Azurite: SIGTERM to its process tree (Azurite then saves its database and exits), SIGKILL to
     * whatever is left after a grace period. The port and data directory are kept for {@link #start()}.
     */
    public synchronized void stop() {
        Process p = process;
        process = null;
        if (shutdownHook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
            shutdownHook = null;
        }
        if (p != null) {
            destroyTree(p, false);
            appendLog("stopped");
        }
    }

    /** Whether Azurite is running (started and not stopped or crashed). */
    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    // ------------------------------------------------------------------------------------ accessors

    /** The port Azurite listens on; stable across {@link #stop()} and {@link #start()}. */
    public synchronized int port() {
        if (port <= 0) {
            throw new IllegalStateException("Azurite has not been started");
        }
        return port;
    }

    /**
     * The blob endpoint, path-style with a trailing slash: {@code http://127.0.0.1:PORT/devstoreaccount1/}
     * ({@code https} for {@link #withOAuth()}).
     */
    public URI endpoint() {
        return URI.create(scheme() + "://127.0.0.1:" + port() + "/" + ACCOUNT_NAME + "/");
    }

    /** Whether this Azurite speaks HTTPS and takes bearer tokens ({@link #withOAuth()}). */
    public boolean oauth() {
        return tls != null;
    }

    private String scheme() {
        return tls != null ? "https" : "http";
    }

    public String accountName() {
        return ACCOUNT_NAME;
    }

    public String accountKey() {
        return ACCOUNT_KEY;
    }

    /** A storage connection string for this Azurite (account key, explicit BlobEndpoint). */
    public String connectionString() {
        return "DefaultEndpointsProtocol=" + scheme() + ";AccountName=" + ACCOUNT_NAME + ";AccountKey=" + ACCOUNT_KEY
                + ";BlobEndpoint=" + scheme() + "://127.0.0.1:" + port() + "/" + ACCOUNT_NAME + ";";
    }

    /** An SDK service client (account key, same pinned service version as {@link AzureBlobOrigin}). */
    public synchronized BlobServiceClient serviceClient() {
        if (serviceClient == null) {
            serviceClient = new BlobServiceClientBuilder()
                    .endpoint(scheme() + "://127.0.0.1:" + port() + "/" + ACCOUNT_NAME)
                    .credential(new StorageSharedKeyCredential(ACCOUNT_NAME, ACCOUNT_KEY))
                    .serviceVersion(AzureBlobOrigin.SERVICE_VERSION)
                    .httpClient(new JdkHttpClientBuilder().connectionTimeout(Duration.ofSeconds(10)).build())
                    .retryOptions(new RequestRetryOptions(RetryPolicyType.EXPONENTIAL, 5, Duration.ofSeconds(60),
                            Duration.ofMillis(200), Duration.ofSeconds(5), null))
                    .httpLogOptions(new HttpLogOptions().setLogLevel(HttpLogDetailLevel.NONE))
                    .buildClient();
        }
        return serviceClient;
    }

    /** Creates container {@code name} and returns a client for it, for putting fixtures (metadata, tags). */
    public BlobContainerClient createContainer(String name) {
        BlobContainerClient c = serviceClient().getBlobContainerClient(name);
        c.create();
        return c;
    }

    /** A client for container {@code name}, which may or may not exist. */
    public BlobContainerClient container(String name) {
        return serviceClient().getBlobContainerClient(name);
    }

    /** Settings for an {@link AzureBlobOrigin} over {@code container} with the account key and default timeouts. */
    public AzureSettings settings(String container, boolean tags) {
        return AzureSettings.of(endpoint(), container, new AzureCredential.AccountKey(ACCOUNT_NAME, ACCOUNT_KEY),
                tags);
    }

    /** Azurite's console output (appended across restarts). */
    public synchronized Path logFile() {
        return logFile;
    }

    /** Azurite's data directory ({@code --location}). */
    public synchronized Path dataDir() {
        return dataDir;
    }

    /** The last lines of Azurite's log, for failure messages. */
    public synchronized String logTail() {
        if (logFile == null || !Files.exists(logFile)) {
            return "(no log)";
        }
        try {
            List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(cannot read " + logFile + ": " + e + ")";
        }
    }

    @Override
    public synchronized String toString() {
        return "Azurite[" + (port > 0 ? scheme() + "://127.0.0.1:" + port : "not started")
                + (isRunning() ? ", running" : "") + "]";
    }

    // ------------------------------------------------------------------------------------ internals

    /**
     * Finds azurite-blob: {@code property}, else {@code env}, else {@value #RELATIVE} in {@code cwd} or one of
     * its ancestors.
     *
     * @throws AssertionFailedError naming what was tried and how to install Azurite
     */
    static Path locate(String property, String env, Path cwd) {
        if (property != null && !property.isBlank()) {
            return requireExecutable(Path.of(property.strip()), "system property " + PROPERTY);
        }
        if (env != null && !env.isBlank()) {
            return requireExecutable(Path.of(env.strip()), "environment variable " + ENV);
        }
        List<String> tried = new ArrayList<>();
        for (Path dir = cwd.toAbsolutePath().normalize(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve(RELATIVE);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
            tried.add(candidate.toString());
        }
        throw new AssertionFailedError("azurite-blob not found: neither -D" + PROPERTY + " nor " + ENV
                + " is set, and none of these exists: " + String.join(", ", tried) + ". " + INSTALL_HINT);
    }

    private static Path requireExecutable(Path p, String source) {
        if (Files.isRegularFile(p) && Files.isExecutable(p)) {
            return p;
        }
        throw new AssertionFailedError(source + " names " + p + ", which is not an executable file. " + INSTALL_HINT);
    }

    private Process launch() {
        List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c", WATCHDOG, "azurite-watchdog",
                executable.toString(), "--silent", "--disableTelemetry",
                "--location", dataDir.toString(),
                "--blobHost", "127.0.0.1", "--blobPort", Integer.toString(port)));
        if (tls != null) {
            cmd.addAll(List.of("--oauth", "basic", "--cert", tls.keyStore().toString(), "--pwd", TestTls.PASSWORD));
        }
        if (Boolean.getBoolean("cloudmirror.azurite.debug")) {
            cmd.addAll(List.of("--debug", workDir.resolve("azurite-debug.log").toString()));
        }
        appendLog("starting " + executable + " on " + scheme() + "://127.0.0.1:" + port + " (data " + dataDir + ")");
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .directory(workDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        // A developer's custom account list would disable devstoreaccount1.
        pb.environment().remove("AZURITE_ACCOUNTS");
        try {
            return pb.start();
        } catch (IOException e) {
            startFailed = true;
            throw new AssertionFailedError("cannot launch Azurite (" + executable + "): " + e + ".\n" + INSTALL_HINT,
                    e);
        }
    }

    /** Waits until Azurite says it listens and answers HTTP; returns {@code null} when ready, else why not. */
    private String awaitReady(Process p, long logOffset, Instant deadline) {
        while (true) {
            if (!p.isAlive()) {
                return "it exited with status " + p.exitValue();
            }
            if (logSince(logOffset).contains(READY_LINE) && answersHttp()) {
                return null;
            }
            if (Instant.now().isAfter(deadline)) {
                return "it did not answer within " + startTimeout.toSeconds() + " s (a slow or overloaded "
                        + "machine? raise -Dcloudmirror.azurite.startTimeout=SECONDS)";
            }
            sleep(100);
        }
    }

    /** Whether something on the port answers an HTTP request with an HTTP status line. */
    private boolean answersHttp() {
        try (Socket plain = new Socket()) {
            plain.connect(new InetSocketAddress(LOOPBACK, port), 1000);
            plain.setSoTimeout(3000);
            Socket s = tls == null ? plain
                    : tls.clientContext().getSocketFactory().createSocket(plain, "127.0.0.1", port, true);
            OutputStream out = s.getOutputStream();
            out.write(("GET /" + ACCOUNT_NAME + "?comp=list HTTP/1.1\r\nHost: 127.0.0.1:" + port
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String status = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII))
                    .readLine();
            return status != null && status.startsWith("HTTP/");
        } catch (IOException e) {
            return false;
        }
    }

    /** Terminates {@code p} and all its descendants: SIGTERM first unless {@code force}, then SIGKILL. */
    private static void destroyTree(Process p, boolean force) {
        List<ProcessHandle> tree = new ArrayList<>(p.descendants().toList());
        tree.add(p.toHandle());
        try {
            p.getOutputStream().close(); // EOF to the watchdog
        } catch (IOException ignored) {
            // already closed
        }
        if (!force) {
            // The watchdog answers EOF with exactly one SIGTERM to Azurite, which then saves its database and
            // exits (a second SIGTERM would kill Node before the save), and then exits itself.
            long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
            for (ProcessHandle h : tree) {
                awaitExit(h, deadline - System.nanoTime());
            }
        }
        for (ProcessHandle h : tree) {
            if (h.isAlive()) {
                h.destroyForcibly();
            }
        }
        for (ProcessHandle h : tree) {
            awaitExit(h, TimeUnit.SECONDS.toNanos(5));
        }
    }

    private static void awaitExit(ProcessHandle h, long nanos) {
        try {
            h.onExit().get(Math.max(0, nanos), TimeUnit.NANOSECONDS);
        } catch (Exception timeoutOrInterrupt) {
            if (timeoutOrInterrupt instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static InetAddress ipv4Loopback() {
        try {
            return InetAddress.getByAddress("127.0.0.1", new byte[] {127, 0, 0, 1});
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress(LOOPBACK, 0));
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port", e);
        }
    }

    private long logSize() {
        try {
            return Files.size(logFile);
        } catch (IOException e) {
            return 0;
        }
    }

    private String logSince(long offset) {
        try {
            byte[] all = Files.readAllBytes(logFile);
            int from = (int) Math.min(offset, all.length);
            return new String(all, from, all.length - from, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private void appendLog(String line) {
        if (logFile == null) {
            return;
        }
        try {
            Files.writeString(logFile, "--- [cloudmirror test harness " + Instant.now() + "] " + line + "\n",
                    StandardCharsets.UTF_8, StandardOpenOption.APPEND, StandardOpenOption.CREATE);
        } catch (IOException ignored) {
            // diagnostics only
        }
    }

    private String logReport() {
        return "Azurite log " + logFile + " (kept; last " + LOG_TAIL_LINES + " lines):\n" + logTail();
    }

    private void deleteWorkDir() {
        if (workDir == null) {
            return;
        }
        try (Stream<Path> walk = Files.walk(workDir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException ignored) {
                    // best effort
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
        workDir = null; // a later start (the same extension in a subclass's run) makes a fresh one
        dataDir = null;
        logFile = null;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionFailedError("interrupted while waiting for Azurite", e);
        }
    }
}
