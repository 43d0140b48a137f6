package io.cloudmirror.origin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The plain-HTTP read path against a scripted server: resumption, retries, pinning, errors. */
class HttpRangeReaderTest {

    private static final String ETAG = "\"0x8D1\"";

    private final byte[] blob = new byte[300_000];
    private final List<String> ranges = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger requests = new AtomicInteger();
    /** What the server does to the next requests, consumed in order: "ok", "cut", "503", "stall", "412", "403". */
    private final List<String> script = Collections.synchronizedList(new ArrayList<>());
    private HttpServer server;
    private HttpRangeReader reader;

    @BeforeEach
    void start() throws IOException {
        new Random(1).nextBytes(blob);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/acct/c/", this::serve);
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.start();
        reader = new HttpRangeReader("http://127.0.0.1:" + server.getAddress().getPort() + "/acct/c", "2025-01-05",
                (url, headers) -> url, (what, status, code) -> AzureErrors.forStatus(what, status,
                        code == null ? null : com.azure.storage.blob.models.BlobErrorCode.fromString(code), "", true,
                        new AzureCredential.Anonymous(), java.time.Clock.systemUTC(), null),
                Duration.ofSeconds(2), Duration.ofMillis(500), 3, "acct/c");
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void serve(HttpExchange x) throws IOException {
        requests.incrementAndGet();
        String mode = script.isEmpty() ? "ok" : script.remove(0);
        String range = x.getRequestHeaders().getFirst("x-ms-range");
        ranges.add(range + " " + x.getRequestURI().getRawPath());
        if (!ETAG.equals(x.getRequestHeaders().getFirst("If-Match")) || mode.equals("412")) {
            x.getResponseHeaders().add("x-ms-error-code", "ConditionNotMet");
            x.sendResponseHeaders(412, -1);
            x.close();
            return;
        }
        if (mode.equals("403") || mode.equals("503")) {
            x.sendResponseHeaders(Integer.parseInt(mode), -1);
            x.close();
            return;
        }
        String[] se = range.substring("bytes=".length()).split("-");
        int from = Integer.parseInt(se[0]);
        if (from >= blob.length) {
            x.sendResponseHeaders(416, -1);
            x.close();
            return;
        }
        int to = Math.min(Integer.parseInt(se[1]), blob.length - 1);
        int len = to - from + 1;
        x.sendResponseHeaders(206, len);
        try (OutputStream out = x.getResponseBody()) {
            if (mode.equals("cut")) {
                out.write(blob, from, len / 3);
                out.flush();
                throw new IOException("cut");
            }
            if (mode.equals("stall")) {
                out.write(blob, from, 100);
                out.flush();
                sleep(2_000);
                return;
            }
            out.write(blob, from, len);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private byte[] read(long offset, int... sizes) throws OriginException {
        ByteBuffer[] dsts = new ByteBuffer[sizes.length];
        int total = 0;
        for (int i = 0; i < sizes.length; i++) {
            dsts[i] = i % 2 == 0 ? ByteBuffer.allocate(sizes[i]) : ByteBuffer.allocateDirect(sizes[i]);
            total += sizes[i];
        }
        long n = reader.read("dir/a b+c.bin", ETAG, offset, dsts);
        ByteBuffer all = ByteBuffer.allocate(total);
        for (ByteBuffer d : dsts) {
            all.put(d.flip());
        }
        return Arrays.copyOf(all.array(), (int) n);
    }

    @Test
    void aRangeArrivesAcrossTheBuffersInOneRequestWithAnEncodedName() throws Exception {
        assertArrayEquals(Arrays.copyOfRange(blob, 1000, 1000 + 70_000), read(1000, 30_000, 40_000));
        assertEquals(List.of("bytes=1000-70999 /acct/c/dir/a%20b%2Bc.bin"), ranges);
    }

    @Test
    void theEndOfTheBlobEndsTheReadAndBeyondItIsZero() throws Exception {
        assertArrayEquals(Arrays.copyOfRange(blob, 299_000, 300_000), read(299_000, 800, 800));
        assertEquals(0, read(300_000, 10).length);
    }

    @Test
    void aResponseCutMidBodyIsResumedFromTheFirstMissingByte() throws Exception {
        script.add("cut");
        assertArrayEquals(Arrays.copyOfRange(blob, 0, 90_000), read(0, 45_000, 45_000));
        assertEquals(2, requests.get());
        assertTrue(ranges.get(1).startsWith("bytes=30000-89999 "), "resumed where it broke: " + ranges);
    }

    @Test
    void serverErrorsAndStallsAreRetriedThenReportedUnreachable() throws Exception {
        script.add("503");
        script.add("stall");
        assertArrayEquals(Arrays.copyOfRange(blob, 5, 2005), read(5, 2000), "third try works");
        assertEquals(3, requests.get());

        script.addAll(List.of("503", "503", "503"));
        OriginException e = assertThrows(OriginException.Unreachable.class, () -> read(0, 10));
        assertTrue(e.getMessage().contains("HTTP 503") && e.getMessage().contains("3 tries"), e.getMessage());
    }

    @Test
    void aChangedVersionIsGoneAndRefusalIsDeniedWithoutRetry() throws Exception {
        script.add("412");
        assertThrows(OriginException.VersionGone.class, () -> read(0, 10));
        script.add("403");
        assertThrows(OriginException.Denied.class, () -> read(0, 10));
        assertEquals(2, requests.get());
        ByteBuffer dst = ByteBuffer.allocate(10);
        assertThrows(OriginException.VersionGone.class, () -> reader.read("f", "\"other\"", 0, new ByteBuffer[] {dst}));
        assertEquals(0, dst.position(), "nothing left in the buffer after a failure");
    }

    @Test
    void aRefusedConnectionIsUnreachableQuickly() throws Exception {
        server.stop(0);
        long t0 = System.nanoTime();
        assertThrows(OriginException.Unreachable.class, () -> read(0, 10));
        assertTrue(System.nanoTime() - t0 < 10_000_000_000L, "gave up within the retries' backoff");
    }
}
