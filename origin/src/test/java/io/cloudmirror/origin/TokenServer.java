package io.cloudmirror.origin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.opentest4j.AssertionFailedError;

/**
 * Local HTTPS token endpoints that speak the protocols azure-identity (and MSAL under it) uses, issuing
 * unsigned JWTs that Azurite's {@code --oauth basic} accepts (it checks lifetime, issuer and audience, not the
 * signature). One server on a free loopback port serves:
 *
 * <ul>
 *   <li>App Service managed identity ({@code IDENTITY_ENDPOINT} + {@code IDENTITY_HEADER}): {@link #appServiceEndpoint()}</li>
 *   <li>Azure Arc managed identity ({@code IDENTITY_ENDPOINT} + {@code IMDS_ENDPOINT}): {@link #arcEndpoint()}, with
 *       the challenge flow: a first request gets 401 naming a key file, the retry must send its content</li>
 *   <li>IMDS ({@code AZURE_POD_IDENTITY_AUTHORITY_HOST}, which MSAL honours in place of 169.254.169.254):
 *       {@link #imdsHost()}</li>
 *   <li>the Entra ID token endpoint for workload identity ({@code AZURE_AUTHORITY_HOST}): {@link #authorityHost()},
 *       taking a client assertion (the federated token) with the client-credentials grant</li>
 * </ul>
 *
 * <p>{@link #behave} switches what every flow returns next (good tokens, tokens with a wrong audience, tokens
 * already expired, or refusals), {@link #lifetime} how long tokens live. Every request is recorded. Azure Arc's
 * key file must lie in {@value #ARC_TOKEN_DIR} (MSAL refuses any other directory); the server creates that
 * directory if needed (tests run as root) and removes what it created on {@link #close()}.
 *
 * <p>Thread-safe.
 */
public final class TokenServer implements AutoCloseable {

    /** Where MSAL requires the Azure Arc challenge key file to be (Linux), with the extension {@code .key}. */
    public static final String ARC_TOKEN_DIR = "/var/opt/azcmagent/tokens";

    /** The audience Azure Storage (and Azurite) accepts. */
    public static final String STORAGE_AUDIENCE = "https://storage.azure.com";

    /** What the endpoints answer. */
    public enum Behaviour {
        /** Tokens Azurite accepts. */
        HEALTHY,
        /** Tokens for another resource (Azure Resource Manager): Azure Storage refuses them. */
        WRONG_AUDIENCE,
        /** Tokens whose {@code exp} has passed, although the response claims they are fresh. */
        EXPIRED,
        /** HTTP 400 with an OAuth error: the identity is gone or the assertion refused. */
        REFUSE
    }

    /** One request the server received. */
    public record Request(String flow, String method, String path, Map<String, String> query,
                          Map<String, String> form, Map<String, String> headers) {
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private final HttpsServer server;
    private final ExecutorService executor;
    private final Clock clock;
    private final String identityHeader = "ih-" + UUID.randomUUID();
    private final String tenant = UUID.randomUUID().toString();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final List<String> issued = new CopyOnWriteArrayList<>();
    private final List<Path> created = new ArrayList<>();
    private volatile Behaviour behaviour = Behaviour.HEALTHY;
    private volatile Duration lifetime = Duration.ofHours(1);
    private volatile String expectedAssertion;
    private Path arcKeyFile;
    private String arcSecret;

    private TokenServer(TestTls tls, Clock clock) throws IOException {
        this.clock = clock;
        server = HttpsServer.create(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0), 16);
        server.setHttpsConfigurator(new HttpsConfigurator(tls.serverContext()));
        executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "token-server");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/appservice/token", this::appService);
        server.createContext("/arc/token", this::arc);
        server.createContext("/imds/", this::imds);
        server.createContext("/", this::aad);
        server.start();
    }

    /** Starts a server with the shared test certificate. */
    public static TokenServer start() {
        try {
            return new TokenServer(TestTls.shared(), Clock.systemUTC());
        } catch (IOException e) {
            throw new AssertionFailedError("cannot start the token server: " + e, e);
        }
    }

    // ------------------------------------------------------------------------------------ addresses

    /** {@code https://127.0.0.1:PORT} */
    public URI base() {
        return URI.create("https://127.0.0.1:" + server.getAddress().getPort());
    }

    /** {@code IDENTITY_ENDPOINT} of the App Service flow. */
    public URI appServiceEndpoint() {
        return base().resolve("/appservice/token");
    }

    /** {@code IDENTITY_HEADER} of the App Service flow. */
    public String identityHeader() {
        return identityHeader;
    }

    /** {@code IDENTITY_ENDPOINT} of the Azure Arc flow; prepares {@value #ARC_TOKEN_DIR}. */
    public synchronized URI arcEndpoint() {
        prepareArcDirectory();
        return base().resolve("/arc/token");
    }

    /** {@code AZURE_POD_IDENTITY_AUTHORITY_HOST}: where MSAL sends IMDS requests instead of 169.254.169.254. */
    public URI imdsHost() {
        return base().resolve("/imds");
    }

    /**
     * {@code AZURE_AUTHORITY_HOST}: the Entra ID authority host of the workload identity flow. MSAL keeps only
     * its scheme, host and port, and posts to {@code /TENANT/oauth2/v2.0/token}.
     */
    public URI authorityHost() {
        return base().resolve("/");
    }

    /** The tenant id tokens name (any GUID works as {@code AZURE_TENANT_ID}). */
    public String tenant() {
        return tenant;
    }

    /** The environment of the App Service managed identity flow. */
    public Map<String, String> appServiceEnvironment() {
        return Map.of("IDENTITY_ENDPOINT", appServiceEndpoint().toString(), "IDENTITY_HEADER", identityHeader);
    }

    /** The environment of the Azure Arc managed identity flow. */
    public Map<String, String> arcEnvironment() {
        return Map.of("IDENTITY_ENDPOINT", arcEndpoint().toString(), "IMDS_ENDPOINT", base().resolve("/arc").toString());
    }

    /** The environment of the IMDS managed identity flow. */
    public Map<String, String> imdsEnvironment() {
        return Map.of("AZURE_POD_IDENTITY_AUTHORITY_HOST", imdsHost().toString());
    }

    // ------------------------------------------------------------------------------------ control

    /** What every flow answers from now on. */
    public void behave(Behaviour b) {
        behaviour = b;
    }

    /** How long tokens issued from now on live. */
    public void lifetime(Duration d) {
        lifetime = d;
    }

    /** Workload identity: accept only this client assertion from now on ({@code null}: any non-empty one). */
    public void expectAssertion(String assertion) {
        expectedAssertion = assertion;
    }

    /** Every request so far. */
    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /** Requests of one flow ({@code appservice}, {@code arc}, {@code imds}, {@code aad}). */
    public List<Request> requests(String flow) {
        return requests.stream().filter(r -> r.flow().equals(flow)).toList();
    }

    /** Every access token issued so far (secrets a test checks never leak). */
    public List<String> issuedTokens() {
        return List.copyOf(issued);
    }

    /** The Azure Arc key file content of the last challenge (a secret), or {@code null}. */
    public synchronized String arcSecret() {
        return arcSecret;
    }

    /** A fresh JWT for {@code audience} expiring at {@code exp}, as the endpoints issue (for tests of their own). */
    public String jwt(String audience, Instant exp, String clientId) {
        long now = clock.instant().getEpochSecond();
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("aud", audience);
        claims.put("iss", "https://sts.windows.net/" + tenant + "/");
        claims.put("iat", now - 30);
        claims.put("nbf", now - 30);
        claims.put("exp", exp.getEpochSecond());
        claims.put("appid", clientId == null ? "" : clientId);
        claims.put("tid", tenant);
        claims.put("jti", UUID.randomUUID().toString());
        byte[] sig = new byte[32];
        RANDOM.nextBytes(sig);
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        return b64.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(json(claims).getBytes(StandardCharsets.UTF_8)) + "." + b64.encodeToString(sig);
    }

    @Override
    public synchronized void close() {
        server.stop(0);
        executor.shutdownNow();
        for (int i = created.size() - 1; i >= 0; i--) {
            try {
                Files.deleteIfExists(created.get(i));
            } catch (IOException ignored) {
                // a directory someone else has put files in since stays
            }
        }
        created.clear();
    }

    // ------------------------------------------------------------------------------------ handlers

    private void appService(HttpExchange e) throws IOException {
        Request r = record("appservice", e, Map.of());
        if (!identityHeader.equals(r.headers().get("x-identity-header"))) {
            answer(e, 401, "{\"statusCode\":401,\"message\":\"X-IDENTITY-HEADER missing or wrong\"}");
            return;
        }
        managedIdentityToken(e, r);
    }

    private void arc(HttpExchange e) throws IOException {
        Request r = record("arc", e, Map.of());
        if (!"true".equals(r.headers().get("metadata"))) {
            answer(e, 400, "{\"error\":\"invalid_request\",\"error_description\":\"Metadata header missing\"}");
            return;
        }
        String auth = r.headers().get("authorization");
        synchronized (this) {
            if (auth == null || arcSecret == null || !auth.equals("Basic " + arcSecret)) {
                arcSecret = "arc-" + UUID.randomUUID();
                Files.writeString(arcKeyFile, arcSecret);
                e.getResponseHeaders().add("WWW-Authenticate", "Basic realm=" + arcKeyFile);
                answer(e, 401, "{\"error\":\"unauthorized\"}");
                return;
            }
        }
        managedIdentityToken(e, r);
    }

    private void imds(HttpExchange e) throws IOException {
        Request r = record("imds", e, Map.of());
        if (!r.path().endsWith("/metadata/identity/oauth2/token")) {
            answer(e, 404, "{\"error\":\"not_found\"}");
            return;
        }
        if (!"true".equals(r.headers().get("metadata"))) {
            answer(e, 400, "{\"error\":\"invalid_request\",\"error_description\":\"Required metadata header not specified\"}");
            return;
        }
        managedIdentityToken(e, r);
    }

    private void managedIdentityToken(HttpExchange e, Request r) throws IOException {
        Behaviour b = behaviour;
        if (b == Behaviour.REFUSE) {
            answer(e, 400, "{\"error\":\"invalid_request\",\"error_description\":\"Identity not found\"}");
            return;
        }
        String resource = r.query().getOrDefault("resource", "");
        String clientId = r.query().getOrDefault("client_id", "");
        Instant expiresOn = clock.instant().plus(lifetime);
        String token = token(b, resource, clientId, expiresOn);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("access_token", token);
        body.put("client_id", clientId.isEmpty() ? UUID.nameUUIDFromBytes(tenant.getBytes()).toString() : clientId);
        body.put("expires_in", Long.toString(lifetime.toSeconds()));
        body.put("expires_on", Long.toString(expiresOn.getEpochSecond()));
        body.put("ext_expires_in", Long.toString(lifetime.toSeconds()));
        body.put("not_before", Long.toString(clock.instant().getEpochSecond() - 30));
        body.put("resource", resource);
        body.put("token_type", "Bearer");
        answer(e, 200, json(body));
    }

    private void aad(HttpExchange e) throws IOException {
        String body = new String(e.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        boolean tokenPath = e.getRequestURI().getPath().equals("/" + tenant + "/oauth2/v2.0/token");
        Request r = record(tokenPath ? "aad" : "unknown", e, parse(body));
        if (!e.getRequestMethod().equals("POST") || !tokenPath) {
            answer(e, 404, "{\"error\":\"not_found\"}");
            return;
        }
        Map<String, String> form = r.form();
        String assertion = form.getOrDefault("client_assertion", "");
        String expected = expectedAssertion;
        boolean assertionOk = !assertion.isEmpty() && (expected == null || expected.equals(assertion));
        if (!"client_credentials".equals(form.get("grant_type"))
                || !"urn:ietf:params:oauth:client-assertion-type:jwt-bearer".equals(form.get("client_assertion_type"))
                || !assertionOk) {
            answer(e, 400, "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS700024: Client assertion "
                    + "is not within its valid time range.\",\"error_codes\":[700024]}");
            return;
        }
        Behaviour b = behaviour;
        if (b == Behaviour.REFUSE) {
            answer(e, 400, "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS70021: No matching "
                    + "federated identity record found for presented assertion.\",\"error_codes\":[70021]}");
            return;
        }
        String scope = form.getOrDefault("scope", "");
        String resource = scope.split(" ")[0].replaceAll("/\\.default$", "");
        Instant expiresOn = clock.instant().plus(lifetime);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("token_type", "Bearer");
        out.put("expires_in", lifetime.toSeconds());
        out.put("ext_expires_in", lifetime.toSeconds());
        out.put("access_token", token(b, resource, form.getOrDefault("client_id", ""), expiresOn));
        answer(e, 200, json(out));
    }

    private String token(Behaviour b, String resource, String clientId, Instant expiresOn) {
        String audience = b == Behaviour.WRONG_AUDIENCE ? "https://management.azure.com"
                : resource.isEmpty() ? STORAGE_AUDIENCE : resource;
        Instant exp = b == Behaviour.EXPIRED ? clock.instant().minusSeconds(120) : expiresOn;
        String token = jwt(audience, exp, clientId);
        issued.add(token);
        return token;
    }

    // ------------------------------------------------------------------------------------ plumbing

    private void prepareArcDirectory() {
        if (arcKeyFile != null) {
            return;
        }
        Path dir = Path.of(ARC_TOKEN_DIR);
        try {
            List<Path> missing = new ArrayList<>();
            for (Path p = dir; p != null && !Files.exists(p); p = p.getParent()) {
                missing.add(0, p);
            }
            Files.createDirectories(dir);
            created.addAll(missing);
            arcKeyFile = dir.resolve("cloudmirror-test-" + UUID.randomUUID() + ".key");
            Files.createFile(arcKeyFile);
            created.add(arcKeyFile);
        } catch (IOException e) {
            throw new AssertionFailedError("the Azure Arc flow needs a writable " + ARC_TOKEN_DIR + " (MSAL reads the "
                    + "challenge key file only there); run the tests as root or create it: " + e, e);
        }
    }

    private Request record(String flow, HttpExchange e, Map<String, String> form) {
        Map<String, String> headers = new LinkedHashMap<>();
        e.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), String.join(",", v)));
        URI uri = e.getRequestURI();
        Request r = new Request(flow, e.getRequestMethod(), uri.getPath(), parse(uri.getRawQuery()), form, headers);
        requests.add(r);
        return r;
    }

    private static Map<String, String> parse(String query) {
        Map<String, String> out = new LinkedHashMap<>();
        if (query == null || query.isEmpty()) {
            return out;
        }
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            String v = eq < 0 ? "" : pair.substring(eq + 1);
            out.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
        }
        return out;
    }

    private static void answer(HttpExchange e, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        e.getResponseHeaders().add("Content-Type", "application/json; charset=utf-8");
        e.sendResponseHeaders(status, b.length);
        try (OutputStream out = e.getResponseBody()) {
            out.write(b);
        }
    }

    private static String json(Map<String, Object> map) {
        StringBuilder sb = new StringBuilder("{");
        for (Map.Entry<String, Object> en : map.entrySet()) {
            if (sb.length() > 1) {
                sb.append(',');
            }
            sb.append('"').append(en.getKey()).append("\":");
            Object v = en.getValue();
            if (v instanceof Number) {
                sb.append(v);
            } else {
                sb.append('"').append(v.toString().replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
            }
        }
        return sb.append('}').toString();
    }
}
