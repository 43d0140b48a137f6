package io.cloudmirror.origin;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.opentest4j.AssertionFailedError;

/**
 * A self-signed TLS certificate for {@code 127.0.0.1} and {@code localhost}, made once per test JVM with the
 * JDK's {@code keytool}, for the HTTPS servers of integration tests (Azurite with {@code --oauth basic}, the
 * token endpoints of {@link TokenServer}).
 *
 * <p>{@link #shared()} also installs it as the JVM's default {@link SSLContext}, so every client built
 * afterwards (the Azure SDK's JDK HTTP client, MSAL through azure-identity) trusts it, as a daemon trusts a
 * private CA through {@code -Djavax.net.ssl.trustStore}; {@link #trustStoreProperties()} gives exactly those
 * properties for child processes. Thread-safe; the files are deleted when the JVM exits.
 */
public final class TestTls {

    /** The password of the keystore (test material; not a secret). */
    public static final String PASSWORD = "cloudmirror-test";

    private static TestTls shared;

    private final Path dir;
    private final Path keyStore;
    private final Path certificatePem;
    private final SSLContext serverContext;
    private final SSLContext clientContext;

    private TestTls(Path dir) throws IOException, GeneralSecurityException, InterruptedException {
        this.dir = dir;
        this.keyStore = dir.resolve("server.p12");
        this.certificatePem = dir.resolve("cert.pem");
        keytool("-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "7",
                "-storetype", "PKCS12", "-keystore", keyStore.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD);
        keytool("-exportcert", "-rfc", "-alias", "server", "-keystore", keyStore.toString(), "-storepass", PASSWORD,
                "-file", certificatePem.toString());
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keyStore)) {
            ks.load(in, PASSWORD.toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, PASSWORD.toCharArray());
        serverContext = SSLContext.getInstance("TLS");
        serverContext.init(kmf.getKeyManagers(), null, null);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        clientContext = SSLContext.getInstance("TLS");
        clientContext.init(null, tmf.getTrustManagers(), null);
    }

    /**
     * The certificate of this JVM, made on first use and installed as the default {@link SSLContext}.
     *
     * @throws AssertionFailedError if keytool fails
     */
    public static synchronized TestTls shared() {
        if (shared == null) {
            try {
                Path dir = Files.createTempDirectory("cloudmirror-tls-");
                shared = new TestTls(dir);
                Runtime.getRuntime().addShutdownHook(new Thread(shared::delete, "tls-cleanup"));
            } catch (IOException | GeneralSecurityException e) {
                throw new AssertionFailedError("cannot make a test certificate: " + e, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionFailedError("interrupted while making a test certificate", e);
            }
            SSLContext.setDefault(shared.clientContext);
        }
        return shared;
    }

    /** A PKCS12 keystore holding the key and certificate (Azurite takes it as {@code --cert X.p12 --pwd}). */
    public Path keyStore() {
        return keyStore;
    }

    /** The certificate in PEM. */
    public Path certificatePem() {
        return certificatePem;
    }

    /** A server-side context presenting the certificate. */
    public SSLContext serverContext() {
        return serverContext;
    }

    /** A client-side context trusting only the certificate. */
    public SSLContext clientContext() {
        return clientContext;
    }

    /** The JVM options that make another JVM (a daemon) trust the certificate, as an operator would set them. */
    public List<String> trustStoreProperties() {
        return List.of("-Djavax.net.ssl.trustStore=" + keyStore, "-Djavax.net.ssl.trustStorePassword=" + PASSWORD,
                "-Djavax.net.ssl.trustStoreType=PKCS12");
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("keytool " + args[0] + " failed: " + out);
        }
    }

    private void delete() {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }
}
