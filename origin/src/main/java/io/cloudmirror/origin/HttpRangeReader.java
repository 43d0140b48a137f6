package io.cloudmirror.origin;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Ranged GETs of blob versions over plain blocking HTTP ({@link HttpURLConnection}, kept-alive connections),
 * straight into the caller's buffers: the data path of {@link AzureBlobOrigin}. The SDK's reactive pipeline
 * costs three to four times the CPU per byte, and on an edge host the CPU is what limits cold reads.
 * Listing, probing and authentication stay with the SDK; this class takes an {@link Authorizer} built from it.
 *
 * <p>A request is pinned with {@code If-Match}; its failures map to {@link OriginException} kinds as the
 * SDK path maps them. Connection failures, timeouts and 408/429/5xx answers are retried with exponential
 * backoff (or after the {@code Retry-After} the service sent, up to {@link RetryAfter#MAX}) up to {@code maxTries}
 * attempts in all; a response cut mid-body is resumed from the first byte
 * missing, still pinned, so a retry never mixes versions.
 *
 * <p>Thread-safe: each call uses its own connection from the JDK's keep-alive cache.
 */
final class HttpRangeReader {

    private static final DateTimeFormatter RFC1123 = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'",
            Locale.ROOT);
    private static final int COPY_BUFFER = 64 * 1024;
    private static final ThreadLocal<byte[]> BUFFERS = ThreadLocal.withInitial(() -> new byte[COPY_BUFFER]);

    /** Says what an error answer to a pinned read means (the same mapping as the SDK's calls get). */
    @FunctionalInterface
    interface ErrorMapper {
        OriginException map(String what, int status, String errorCode);
    }

    /**
     * Authenticates one request: adds headers (Authorization) and returns the URL to use (a SAS appends its
     * query); fails with an {@link OriginException} when no credential can be had (a refused identity).
     */
    @FunctionalInterface
    interface Authorizer {
        URL authorize(URL url, Map<String, String> headers) throws IOException, OriginException;
    }

    private final String containerUrl;
    private final String serviceVersion;
    private final Authorizer authorizer;
    private final ErrorMapper errors;
    private final Duration connectTimeout;
    private final Duration readTimeout;
    private final int maxTries;
    private final String displayName;

    /**
     * @param containerUrl   the container's URL, without a trailing slash or query
     * @param serviceVersion the {@code x-ms-version} to send
     * @param readTimeout    the longest wait for the next bytes of a response (a stalled server times out)
     */
    HttpRangeReader(String containerUrl, String serviceVersion, Authorizer authorizer, ErrorMapper errors,
                    Duration connectTimeout, Duration readTimeout, int maxTries, String displayName) {
        this.containerUrl = containerUrl;
        this.serviceVersion = serviceVersion;
        this.authorizer = authorizer;
        this.errors = errors;
        this.connectTimeout = connectTimeout;
        this.readTimeout = readTimeout;
        this.maxTries = maxTries;
        this.displayName = displayName;
    }

    /** Reads like {@link BlobOrigin#read(String, String, long, ByteBuffer[])}: one ranged GET (resumed if cut). */
    long read(String name, String etag, long offset, ByteBuffer[] dsts) throws OriginException {
        int[] starts = new int[dsts.length];
        long wanted = 0;
        for (int i = 0; i < dsts.length; i++) {
            starts[i] = dsts[i].position();
            wanted += dsts[i].remaining();
        }
        if (wanted == 0) {
            return 0;
        }
        String what = "reading " + displayName + "/" + name;
        long got = 0;
        IOException lastFailure = null;
        String lastStatus = "";
        Duration asked = Duration.ZERO;
        for (int attempt = 1; attempt <= maxTries; attempt++) {
            if (attempt > 1) {
                backoff(attempt, asked, what);
            }
            try {
                long n = attempt(name, etag, offset + got, wanted - got, dsts);
                if (n < 0) {
                    if (got == 0) {
                        return 0; // 416: the range starts at or past the end of the blob
                    }
                    return got;
                }
                got += n;
                return got;
            } catch (Retryable e) {
                got += e.received;
                asked = e.retryAfter;
                lastFailure = e.getCause() instanceof IOException io ? io : null;
                lastStatus = e.getMessage();
            } catch (OriginException e) {
                reset(dsts, starts);
                throw e;
            }
        }
        reset(dsts, starts);
        throw new OriginException.Unreachable(what + ": " + lastStatus + " (after " + maxTries + " tries)", lastFailure);
    }

    /**
     * One GET of {@code length} bytes at {@code offset} into the buffers' remaining space.
     *
     * @return bytes received, or -1 for 416 (nothing to read)
     * @throws Retryable after a failure worth retrying, saying how many bytes it did deliver
     */
    private long attempt(String name, String etag, long offset, long length, ByteBuffer[] dsts)
            throws OriginException, Retryable {
        String what = "reading " + displayName + "/" + name;
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("x-ms-date", RFC1123.format(ZonedDateTime.now(ZoneOffset.UTC)));
        headers.put("x-ms-version", serviceVersion);
        headers.put("x-ms-range", "bytes=" + offset + "-" + (offset + length - 1));
        headers.put("If-Match", etag);
        HttpURLConnection c;
        int status;
        try {
            URL url = authorizer.authorize(new URL(containerUrl + "/" + encodePath(name)), headers);
            c = (HttpURLConnection) url.openConnection();
            c.setConnectTimeout((int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()));
            c.setReadTimeout((int) Math.min(Integer.MAX_VALUE, readTimeout.toMillis()));
            c.setUseCaches(false);
            c.setInstanceFollowRedirects(false);
            for (Map.Entry<String, String> h : headers.entrySet()) {
                c.setRequestProperty(h.getKey(), h.getValue());
            }
            status = c.getResponseCode();
        } catch (SocketTimeoutException e) {
            throw new Retryable("no answer within " + readTimeout.toMillis() + " ms", e, 0);
        } catch (IOException e) {
            throw new Retryable(describe(e), e, 0);
        }
        if (status == 200 || status == 206) {
            return body(c, length, dsts);
        }
        String code = c.getHeaderField("x-ms-error-code");
        drain(c);
        if (status == 416) {
            return -1;
        }
        if (status == 408 || status == 429 || status >= 500) {
            Duration wait = RetryAfter.applies(status) ? RetryAfter.of(c.getHeaderField("Retry-After")) : Duration.ZERO;
            throw new Retryable("HTTP " + status + (code == null ? "" : " " + code), null, 0, wait);
        }
        throw errors.map(what, status, code);
    }

    /** Copies the response body into the buffers; fails if it is longer than asked for. */
    private long body(HttpURLConnection c, long length, ByteBuffer[] dsts) throws OriginException, Retryable {
        long received = 0;
        byte[] buf = BUFFERS.get();
        int current = 0;
        try (InputStream in = c.getInputStream()) {
            while (true) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, Math.max(1, length - received + 1)));
                if (n < 0) {
                    break;
                }
                if (received + n > length) {
                    throw new OriginException.Failed("reading " + displayName + ": the origin sent more bytes than "
                            + "the requested range", null);
                }
                int off = 0;
                while (off < n) {
                    while (!dsts[current].hasRemaining()) {
                        current++;
                    }
                    int k = Math.min(n - off, dsts[current].remaining());
                    dsts[current].put(buf, off, k);
                    off += k;
                }
                received += n;
            }
        } catch (SocketTimeoutException e) {
            throw new Retryable("stalled mid-body after " + received + " bytes", e, received);
        } catch (IOException e) {
            throw new Retryable("cut mid-body after " + received + " bytes: " + describe(e), e, received);
        }
        long announced = c.getContentLengthLong();
        if (announced >= 0 && received < announced) {
            throw new Retryable("cut mid-body after " + received + " of " + announced + " bytes", null, received);
        }
        return received;
    }

    private static void drain(HttpURLConnection c) {
        try (InputStream err = c.getErrorStream()) {
            if (err != null) {
                err.readAllBytes();
            }
        } catch (IOException e) {
            c.disconnect();
        }
    }

    /** Waits before attempt {@code attempt}: exponential backoff, or longer if the service asked for it. */
    private void backoff(int attempt, Duration asked, String what) throws OriginException {
        long ms = Math.max(Math.min(2_000, 200L << (attempt - 2)), asked.toMillis());
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OriginException.Unreachable(what + ": interrupted", e);
        }
    }

    private static void reset(ByteBuffer[] dsts, int[] starts) {
        for (int i = 0; i < dsts.length; i++) {
            dsts[i].position(starts[i]);
        }
    }

    private static String describe(Throwable e) {
        String msg = e.getMessage();
        return e.getClass().getSimpleName() + (msg == null ? "" : ": " + msg);
    }

    /**
     * A blob name as a URL path: every byte of its UTF-8 form percent-encoded except unreserved characters
     * and {@code /}.
     */
    static String encodePath(String name) {
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder(utf8.length + 16);
        for (byte b : utf8) {
            int c = b & 0xFF;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
                    || c == '.' || c == '~' || c == '/') {
                sb.append((char) c);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
            }
        }
        return sb.toString();
    }

    /** A failed attempt worth retrying, and how many bytes it delivered before failing. */
    private static final class Retryable extends Exception {
        private static final long serialVersionUID = 1L;
        final transient long received;
        final transient Duration retryAfter;

        Retryable(String message, Throwable cause, long received) {
            this(message, cause, received, Duration.ZERO);
        }

        Retryable(String message, Throwable cause, long received, Duration retryAfter) {
            super(message, cause, false, false);
            this.received = received;
            this.retryAfter = retryAfter;
        }
    }
}
