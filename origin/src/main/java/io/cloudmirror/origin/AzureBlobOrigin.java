package io.cloudmirror.origin;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.AzureSasCredential;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.http.policy.HttpLogDetailLevel;
import com.azure.core.http.policy.HttpLogOptions;
import com.azure.core.http.rest.PagedResponse;
import com.azure.core.util.Configuration;
import com.azure.core.util.Context;
import com.azure.identity.ManagedIdentityCredentialBuilder;
import com.azure.identity.WorkloadIdentityCredentialBuilder;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobContainerClientBuilder;
import com.azure.storage.blob.BlobServiceVersion;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobItemProperties;
import com.azure.storage.blob.models.BlobListDetails;
import com.azure.storage.blob.models.BlobRange;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.DownloadRetryOptions;
import com.azure.storage.blob.models.ListBlobsOptions;
import com.azure.storage.common.StorageSharedKeyCredential;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The Azure Blob Storage origin: the one place the Azure SDK is used.
 *
 * <p>Listings and probes go through the SDK. Reads (ranged GETs) go through {@link HttpRangeReader}, plain
 * blocking HTTP authorized with the SDK's credentials (shared key, SAS, or an identity's bearer token),
 * which costs a quarter of the CPU per byte of the SDK's download pipeline; a connection string that carries
 * a SAS falls back to the SDK for reads too.
 *
 * <p>Thread-safe: the SDK clients are shared by all threads. Requests are retried with exponential backoff
 * ({@link AzureSettings#maxTries()} attempts, each bounded by {@link AzureSettings#tryTimeout()}), waiting at
 * least what a {@code Retry-After} header asks (up to {@link RetryAfter#MAX}), so a dead origin fails within a
 * bounded time and a throttled one is not hammered.
 */
public final class AzureBlobOrigin implements BlobOrigin {

    /**
     * The REST API version requests carry. Pinned so that the Azurite versions we test against accept
     * every request, and so that an SDK upgrade cannot silently change the wire protocol.
     */
    static final BlobServiceVersion SERVICE_VERSION = BlobServiceVersion.V2025_01_05;

    private static final int LIST_PAGE_SIZE = 5000;
    /** Parts of a container listed at once (see {@link ParallelListing}). */
    private static final int LIST_THREADS = 4;
    private static final String STORAGE_SCOPE = "https://storage.azure.com/.default";

    private final AzureSettings settings;
    private final SdkClient sdk;
    private final String displayName;
    private final HttpRangeReader ranges;

    static {
        // The SDK sets Content-Length itself; without this the JDK client warns on every request.
        if (System.getProperty("jdk.httpclient.allowRestrictedHeaders") == null) {
            System.setProperty("jdk.httpclient.allowRestrictedHeaders", "content-length");
        }
        // Reads run up to a few dozen GETs at once; keep that many connections alive (the JDK keeps 5).
        if (System.getProperty("http.maxConnections") == null) {
            System.setProperty("http.maxConnections", "32");
        }
    }

    private AzureBlobOrigin(AzureSettings settings, SdkClient sdk, String containerUrl, String displayName,
                            HttpRangeReader.Authorizer authorizer) {
        this.settings = settings;
        this.sdk = sdk;
        this.displayName = displayName;
        this.ranges = authorizer == null ? null : new HttpRangeReader(containerUrl, SERVICE_VERSION.getVersion(),
                authorizer,
                (what, status, code) -> AzureErrors.forStatus(what, status,
                        code == null ? null : BlobErrorCode.fromString(code), "", true, settings.credential(),
                        java.time.Clock.systemUTC(), null),
                settings.connectTimeout(), settings.tryTimeout().dividedBy(2), settings.maxTries(), displayName);
    }

    /**
     * Builds an origin for {@code settings}; no request is made until the first call. The SDK's container
     * client is built by the first call that needs it (a listing or a probe): reads go through
     * {@link HttpRangeReader} and need none, which spares a {@code cloudmirror clone} the half second of
     * loading the SDK's classes before its first byte. A connection string is parsed by the SDK, so it builds
     * the client at once.
     *
     * @throws IllegalArgumentException if a bearer-token credential is paired with an {@code http} endpoint
     */
    public static AzureBlobOrigin create(AzureSettings settings) {
        AzureCredential credential = settings.credential();
        if (credential instanceof AzureCredential.ConnectionString cs) {
            BlobContainerClient client = sdkClient(settings, httpClient(settings), b -> b.connectionString(cs.value()));
            return new AzureBlobOrigin(settings, new SdkClient(() -> client),
                    stripTrailingSlash(client.getBlobContainerUrl()),
                    client.getAccountName() + "/" + client.getBlobContainerName(),
                    SharedKey.fromConnectionString(cs.value())); // null for a SAS: reads go through the SDK
        }
        String endpoint = stripTrailingSlash(settings.endpoint().toString());
        Consumer<BlobContainerClientBuilder> auth;
        HttpRangeReader.Authorizer authorizer;
        boolean identity = credential instanceof AzureCredential.ManagedIdentity
                || credential instanceof AzureCredential.WorkloadIdentity;
        // An identity's token requests and the SDK's share one client; otherwise the SDK builds its own, lazily.
        HttpClient tokenHttp = identity ? httpClient(settings) : null;
        if (credential instanceof AzureCredential.AccountKey key) {
            auth = b -> b.credential(new StorageSharedKeyCredential(key.accountName(), key.key()));
            authorizer = new SharedKey(key.accountName(), key.key());
        } else if (credential instanceof AzureCredential.Sas sas) {
            auth = b -> b.credential(new AzureSasCredential(sas.token()));
            authorizer = (url, headers) -> new URL(url + "?" + sas.token());
        } else if (identity) {
            requireHttps(settings, credential.authType());
            TokenCredential token = shared(credential instanceof AzureCredential.ManagedIdentity mi
                    ? managedIdentity(mi, tokenHttp) : workloadIdentity((AzureCredential.WorkloadIdentity) credential,
                    tokenHttp));
            auth = b -> b.credential(token);
            authorizer = bearer(token, credential, settings.tryTimeout());
        } else {
            auth = b -> { };
            authorizer = (url, headers) -> url; // anonymous
        }
        SdkClient sdk = new SdkClient(() -> sdkClient(settings, tokenHttp != null ? tokenHttp : httpClient(settings),
                b -> auth.accept(b.endpoint(endpoint))));
        // The SDK's container URL: the endpoint, then the container (its names need no escaping).
        return new AzureBlobOrigin(settings, sdk, endpoint + "/" + settings.container(),
                settings.accountName() + "/" + settings.container(), authorizer);
    }

    private static HttpClient httpClient(AzureSettings settings) {
        return new JdkHttpClientBuilder()
                .connectionTimeout(settings.connectTimeout())
                .responseTimeout(settings.tryTimeout().dividedBy(2))
                .readTimeout(settings.tryTimeout().dividedBy(2))
                .build();
    }

    private static BlobContainerClient sdkClient(AzureSettings settings, HttpClient http,
                                                 Consumer<BlobContainerClientBuilder> auth) {
        RequestRetryOptions retry = new RequestRetryOptions(RetryPolicyType.EXPONENTIAL, settings.maxTries(),
                settings.tryTimeout(), Duration.ofMillis(200), Duration.ofSeconds(2), null);
        BlobContainerClientBuilder builder = new BlobContainerClientBuilder()
                .httpClient(http)
                .retryOptions(retry)
                .addPolicy(new RetryAfterPolicy())
                .serviceVersion(SERVICE_VERSION)
                .httpLogOptions(new HttpLogOptions().setLogLevel(HttpLogDetailLevel.NONE));
        auth.accept(builder);
        return builder.containerName(settings.container()).buildClient();
    }

    /** The SDK's container client, built once, by the first caller that needs it; thread-safe. */
    private static final class SdkClient {
        private final Supplier<BlobContainerClient> build;
        private volatile BlobContainerClient client;

        SdkClient(Supplier<BlobContainerClient> build) {
            this.build = build;
        }

        BlobContainerClient get() {
            BlobContainerClient c = client;
            if (c == null) {
                synchronized (this) {
                    c = client;
                    if (c == null) {
                        c = build.get();
                        client = c;
                    }
                }
            }
            return c;
        }
    }

    /** One token for the SDK's requests and the data path's reads (see {@link SharedToken}). */
    private static TokenCredential shared(TokenCredential credential) {
        return new SharedToken(credential);
    }

    /**
     * Adds the shared token to a read. A token that cannot be had fails the read as the SDK's requests fail
     * (the same {@link AzureErrors} mapping: Denied naming the identity's answer, or Unreachable when its
     * endpoint cannot be reached), so the log of a failed read says why.
     */
    private static HttpRangeReader.Authorizer bearer(TokenCredential tokens, AzureCredential credential,
                                                     Duration timeout) {
        TokenRequestContext scope = new TokenRequestContext().addScopes(STORAGE_SCOPE);
        return (url, headers) -> {
            AccessToken token;
            try {
                token = tokens.getToken(scope).block(timeout);
            } catch (RuntimeException e) {
                OriginException mapped = AzureErrors.map("reading " + url.getPath(), e, true, credential);
                throw mapped != null ? mapped : new OriginException.Failed("reading " + url.getPath() + ": " + e, e);
            }
            if (token == null) {
                throw new OriginException.Unreachable("reading " + url.getPath() + ": no " + credential.authType()
                        + " token within " + timeout.toSeconds() + " s", null);
            }
            headers.put("Authorization", "Bearer " + token.getToken());
            return url;
        };
    }

    /** Bearer tokens travel only over TLS: Azure Storage refuses them over http, and so does the SDK. */
    private static void requireHttps(AzureSettings settings, String authType) {
        if (!"https".equalsIgnoreCase(settings.endpoint().getScheme())) {
            throw new IllegalArgumentException(authType + " authenticates with bearer tokens, which Azure Storage "
                    + "accepts only over https; the endpoint is " + settings.endpoint());
        }
    }

    /** The token source is chosen by azure-identity from the process environment (see AzureCredential). */
    private static TokenCredential managedIdentity(AzureCredential.ManagedIdentity mi, HttpClient http) {
        ManagedIdentityCredentialBuilder b = new ManagedIdentityCredentialBuilder().httpClient(http);
        if (!mi.clientId().isEmpty()) {
            b.clientId(mi.clientId());
        }
        return b.build();
    }

    /**
     * Everything comes from {@code wi}, nothing from the process environment ({@link Configuration#NONE}), so
     * that the settings alone decide. Instance discovery is off: it would ask the public cloud's discovery
     * endpoint about the authority, which a sovereign or private authority (or an offline edge) cannot answer.
     */
    private static TokenCredential workloadIdentity(AzureCredential.WorkloadIdentity wi, HttpClient http) {
        return new WorkloadIdentityCredentialBuilder()
                .configuration(Configuration.NONE)
                .tenantId(wi.tenantId())
                .clientId(wi.clientId())
                .tokenFilePath(wi.tokenFile().toString())
                .authorityHost(wi.authorityHost().toString())
                .disableInstanceDiscovery()
                .httpClient(http)
                .build();
    }

    private static String stripTrailingSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    /** Whether the SDK's client has been built (for tests: reads alone must not build it). */
    boolean sdkBuilt() {
        return sdk.client != null;
    }

    @Override
    public String displayName() {
        return displayName;
    }

    @Override
    public void list(String prefix, BlobSink sink) throws OriginException {
        BlobSink guarded = item -> {
            try {
                sink.accept(item);
            } catch (RuntimeException sinkFailure) {
                throw new SinkFailure(sinkFailure);
            }
        };
        try {
            ParallelListing.list(prefix == null ? "" : prefix, listings, LIST_THREADS, guarded);
        } catch (SinkFailure e) {
            // The caller's own unchecked failure is not an origin failure: rethrow it unchanged.
            throw (RuntimeException) e.getCause();
        } catch (IOException e) {
            if (e instanceof OriginException oe) {
                throw oe;
            }
            throw new OriginException.Failed("listing " + displayName + " stopped: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw AzureErrors.map("listing " + displayName, e, false, settings.credential());
        }
    }

    /** What {@link ParallelListing} asks of the service, through the SDK. */
    private final ParallelListing.Service listings = new ParallelListing.Service() {
        @Override
        public ParallelListing.Level level(String prefix) {
            var page = sdk.get().listBlobsByHierarchy("/", options(prefix), null).iterableByPage().iterator().next();
            List<BlobItem> blobs = new ArrayList<>();
            List<String> prefixes = new ArrayList<>();
            for (com.azure.storage.blob.models.BlobItem item : page.getValue()) {
                if (Boolean.TRUE.equals(item.isPrefix())) {
                    prefixes.add(item.getName());
                } else {
                    blobs.add(toItem(item));
                }
            }
            return new ParallelListing.Level(blobs, prefixes, page.getContinuationToken() == null);
        }

        @Override
        public Iterable<List<BlobItem>> flat(String prefix) {
            var pages = sdk.get().listBlobs(options(prefix), null).iterableByPage();
            return () -> new Iterator<>() {
                private final Iterator<PagedResponse<com.azure.storage.blob.models.BlobItem>> it = pages.iterator();

                @Override
                public boolean hasNext() {
                    return it.hasNext();
                }

                @Override
                public List<BlobItem> next() {
                    List<BlobItem> out = new ArrayList<>();
                    for (com.azure.storage.blob.models.BlobItem item : it.next().getValue()) {
                        out.add(toItem(item));
                    }
                    return out;
                }
            };
        }

        private ListBlobsOptions options(String prefix) {
            return new ListBlobsOptions()
                    .setPrefix(prefix.isEmpty() ? null : prefix)
                    .setMaxResultsPerPage(LIST_PAGE_SIZE)
                    .setDetails(new BlobListDetails().setRetrieveMetadata(true).setRetrieveTags(settings.includeTags()));
        }
    };

    private BlobItem toItem(com.azure.storage.blob.models.BlobItem item) {
        BlobItemProperties p = item.getProperties();
        Instant modified = p.getLastModified() == null ? Instant.EPOCH : p.getLastModified().toInstant();
        long size = p.getContentLength() == null ? 0 : p.getContentLength();
        String etag = p.getETag() == null ? "" : p.getETag();
        Map<String, String> tags = settings.includeTags() ? item.getTags() : null;
        return new BlobItem(item.getName(), size, modified, etag, p.getContentMd5(), item.getMetadata(), tags);
    }

    @Override
    public int read(String name, String etag, long offset, ByteBuffer dst) throws OriginException {
        return (int) read(name, etag, offset, new ByteBuffer[] {dst});
    }

    @Override
    public long read(String name, String etag, long offset, ByteBuffer[] dsts) throws OriginException {
        if (ranges != null) {
            return ranges.read(name, etag, offset, dsts);
        }
        return readThroughSdk(name, etag, offset, dsts);
    }

    /** A ranged GET through the SDK's download pipeline (for credentials {@link HttpRangeReader} cannot use). */
    private long readThroughSdk(String name, String etag, long offset, ByteBuffer[] dsts) throws OriginException {
        long wanted = 0;
        int[] starts = new int[dsts.length];
        for (int i = 0; i < dsts.length; i++) {
            starts[i] = dsts[i].position();
            wanted += dsts[i].remaining();
        }
        if (wanted == 0) {
            return 0;
        }
        BlobRange range = new BlobRange(offset, wanted);
        BlobRequestConditions pinned = new BlobRequestConditions().setIfMatch(etag);
        BufferSink sink = new BufferSink(dsts);
        try {
            sdk.get().getBlobClient(name).downloadStreamWithResponse(sink, range,
                    new DownloadRetryOptions().setMaxRetryRequests(settings.maxTries() - 1), pinned, false,
                    null, Context.NONE);
        } catch (RuntimeException e) {
            OriginException mapped = AzureErrors.map("reading " + displayName + "/" + name, e, true,
                    settings.credential());
            for (int i = 0; i < dsts.length; i++) {
                dsts[i].position(starts[i]);
            }
            if (mapped == null) {
                return 0; // the range starts at or past the end of the blob
            }
            throw mapped;
        }
        return sink.written;
    }

    @Override
    public Probe probe() {
        try {
            sdk.get().listBlobs(new ListBlobsOptions().setMaxResultsPerPage(1), settings.tryTimeout())
                    .iterableByPage().iterator().next();
            return Probe.connected();
        } catch (RuntimeException e) {
            return Probe.of(AzureErrors.map("probing " + displayName, e, false, settings.credential()));
        }
    }

    @Override
    public void close() {
        // The JDK HttpClient owns no threads that outlive the JVM's daemon executors; nothing to release.
    }

    /**
     * Makes the SDK's retries honour {@code Retry-After}: the storage retry policy waits its own exponential
     * delay (from 200 ms) whatever a throttled (429) or busy (503) service asked for. Placed per retry, inside
     * each try, this holds an answer that carries the header for the wait it asks ({@link RetryAfter}, bounded)
     * before the retry policy sees it.
     */
    private static final class RetryAfterPolicy implements com.azure.core.http.policy.HttpPipelinePolicy {
        @Override
        public reactor.core.publisher.Mono<com.azure.core.http.HttpResponse> process(
                com.azure.core.http.HttpPipelineCallContext context, com.azure.core.http.HttpPipelineNextPolicy next) {
            return next.process().flatMap(r -> {
                Duration wait = asked(r);
                return wait.isZero() ? reactor.core.publisher.Mono.just(r)
                        : reactor.core.publisher.Mono.delay(wait).thenReturn(r);
            });
        }

        @Override
        public com.azure.core.http.HttpResponse processSync(com.azure.core.http.HttpPipelineCallContext context,
                                                            com.azure.core.http.HttpPipelineNextSyncPolicy next) {
            com.azure.core.http.HttpResponse r = next.processSync();
            Duration wait = asked(r);
            if (!wait.isZero()) {
                try {
                    Thread.sleep(wait.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return r;
        }

        private static Duration asked(com.azure.core.http.HttpResponse r) {
            return RetryAfter.applies(r.getStatusCode()) ? RetryAfter.of(r.getHeaderValue("Retry-After"))
                    : Duration.ZERO;
        }

        @Override
        public com.azure.core.http.HttpPipelinePosition getPipelinePosition() {
            return com.azure.core.http.HttpPipelinePosition.PER_RETRY;
        }
    }

    /** Carries an unchecked exception of a listing sink past the SDK-failure mapping. */
    private static final class SinkFailure extends RuntimeException {
        SinkFailure(RuntimeException cause) {
            super(cause);
        }
    }

    /** Copies a download into buffers, one after the other; fails if the origin sends more than was asked for. */
    private static final class BufferSink extends OutputStream {
        private final ByteBuffer[] dsts;
        private int current;
        private long written;

        BufferSink(ByteBuffer[] dsts) {
            this.dsts = dsts;
        }

        @Override
        public void write(int b) throws IOException {
            next(1).put((byte) b);
            written++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                ByteBuffer dst = next(len);
                int n = Math.min(len, dst.remaining());
                dst.put(b, off, n);
                off += n;
                len -= n;
                written += n;
            }
        }

        /** The buffer to write into next; fails if every buffer is full. */
        private ByteBuffer next(int len) throws IOException {
            while (current < dsts.length && !dsts[current].hasRemaining()) {
                current++;
            }
            if (current == dsts.length) {
                throw new IOException("origin sent more bytes than the requested range (" + len + " more)");
            }
            return dsts[current];
        }
    }
}
