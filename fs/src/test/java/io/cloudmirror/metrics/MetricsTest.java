package io.cloudmirror.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cloudmirror.index.IndexStore;
import io.cloudmirror.origin.BackendConnection;
import io.cloudmirror.origin.BlobOrigin;
import io.cloudmirror.origin.InMemoryOrigin;
import io.cloudmirror.origin.OriginException;
import io.cloudmirror.sync.Syncer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metrics as a scraper sees them, through the real endpoint: names, labels, and the counts of a
 * metered origin and of syncs.
 */
class MetricsTest {

    @TempDir
    Path tmp;

    private static String scrape(MetricsEndpoint e) throws IOException, InterruptedException {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(e.url())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"), r.headers().toString());
        return r.body();
    }

    /** The value of the sample line {@code series} (name and labels exactly as exposed). */
    static double value(String text, String series) {
        Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(text);
        assertTrue(m.find(), "no sample " + series + " in:\n" + text);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void exposesEveryMetricWithItsLabelsAndCounts() throws Exception {
        Metrics metrics = new Metrics();
        InMemoryOrigin memory = new InMemoryOrigin();
        memory.put("a/one.txt", "hello");
        memory.put("a/two.txt", "world!");
        memory.put("bad//name", "x");
        BlobOrigin origin = metrics.meter("media", memory);
        try (IndexStore index = IndexStore.open(tmp.resolve("index"), "media");
             MetricsEndpoint endpoint = MetricsEndpoint.start(metrics, new MetricsEndpoint.Address("127.0.0.1", 0))) {
            Syncer syncer = new Syncer("media", origin, "", index, Clock.systemUTC(), metrics.syncListener());
            metrics.watch("media", index::currentStats, syncer::status, () -> new Metrics.CacheCounts(4096, 1, 2));
            syncer.syncNow();
            String etag = memory.get("a/one.txt").etag();
            assertEquals(5, origin.read("a/one.txt", etag, 0, ByteBuffer.allocate(100)));
            assertThrows(OriginException.VersionGone.class, () -> origin.read("a/one.txt", "stale", 0,
                    ByteBuffer.allocate(10)));
            memory.setState(BackendConnection.UNAUTHORIZED);
            assertThrows(OriginException.Denied.class, syncer::syncNow);
            assertEquals(BackendConnection.UNAUTHORIZED, origin.probe().connection());
            metrics.read("media", 5, 2_000_000);

            String text = scrape(endpoint);
            assertEquals(1, value(text, "cloudmirror_syncs_total{result=\"success\",subvolume=\"media\"}"));
            assertEquals(1, value(text, "cloudmirror_syncs_total{result=\"denied\",subvolume=\"media\"}"));
            assertEquals(1, value(text, "cloudmirror_sync_duration_seconds_count{result=\"success\",subvolume=\"media\"}"));
            assertTrue(text.contains("cloudmirror_sync_duration_seconds_bucket{result=\"success\",subvolume=\"media\",le=\"0.1\"}"));
            assertEquals(1, value(text, "cloudmirror_generation{subvolume=\"media\"}"));
            assertEquals(2, value(text, "cloudmirror_blobs{subvolume=\"media\"}"));
            assertEquals(11, value(text, "cloudmirror_bytes{subvolume=\"media\"}"));
            assertEquals(1, value(text, "cloudmirror_skipped_blobs{reason=\"empty_component\",subvolume=\"media\"}"));
            assertEquals(4096, value(text, "cloudmirror_cache_bytes{subvolume=\"media\"}"));
            assertEquals(1, value(text, "cloudmirror_backend_connection{state=\"Unauthorized\",subvolume=\"media\"}"));
            assertEquals(0, value(text, "cloudmirror_backend_connection{state=\"Connected\",subvolume=\"media\"}"));
            assertEquals(2, value(text, "cloudmirror_origin_requests_total{operation=\"list\",subvolume=\"media\"}"));
            assertEquals(2, value(text, "cloudmirror_origin_requests_total{operation=\"read\",subvolume=\"media\"}"));
            assertEquals(1, value(text, "cloudmirror_origin_requests_total{operation=\"probe\",subvolume=\"media\"}"));
            assertEquals(1, value(text,
                    "cloudmirror_origin_errors_total{kind=\"version_gone\",operation=\"read\",subvolume=\"media\"}"));
            assertEquals(1, value(text, "cloudmirror_origin_errors_total{kind=\"denied\",operation=\"list\",subvolume=\"media\"}"));
            assertEquals(1, value(text, "cloudmirror_origin_errors_total{kind=\"denied\",operation=\"probe\",subvolume=\"media\"}"));
            assertEquals(5, value(text, "cloudmirror_origin_read_bytes_total{subvolume=\"media\"}"));
            assertEquals(3, value(text, "cloudmirror_origin_listed_blobs_total{subvolume=\"media\"}"));
            assertEquals(1, value(text, "cloudmirror_read_duration_seconds_count{subvolume=\"media\"}"));
            assertEquals(0.002, value(text, "cloudmirror_read_duration_seconds_sum{subvolume=\"media\"}"), 1e-9);
            assertEquals(5, value(text, "cloudmirror_read_bytes_total{subvolume=\"media\"}"));
            assertEquals(1, value(text, "cloudmirror_cache_hits_total{subvolume=\"media\"}"));
            assertEquals(2, value(text, "cloudmirror_cache_misses_total{subvolume=\"media\"}"));
            assertTrue(value(text, "cloudmirror_last_sync_success_timestamp_seconds{subvolume=\"media\"}") > 1.7e9);
            for (String line : text.split("\n")) {
                if (!line.startsWith("#")) {
                    assertTrue(line.startsWith("cloudmirror_"), "every metric is ours: " + line);
                    assertFalse(line.contains("memory/test"), "no origin names in labels: " + line);
                }
            }
        }
    }

    @Test
    void addressesAreLoopbackUnlessAllowed() {
        assertEquals(new MetricsEndpoint.Address("127.0.0.1", 9464), MetricsEndpoint.Address.parse("", false));
        assertEquals(new MetricsEndpoint.Address("127.0.0.1", 9100), MetricsEndpoint.Address.parse("9100", false));
        assertEquals(new MetricsEndpoint.Address("localhost", 9100), MetricsEndpoint.Address.parse("localhost:9100", false));
        assertEquals(new MetricsEndpoint.Address("::1", 9100), MetricsEndpoint.Address.parse("[::1]:9100", false));
        assertEquals("[::1]:9100", MetricsEndpoint.Address.parse("[::1]:9100", false).toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MetricsEndpoint.Address.parse("0.0.0.0:9464", false));
        assertTrue(e.getMessage().contains("not a loopback address") && e.getMessage().contains("metrics_bind_any"),
                e.getMessage());
        assertEquals(new MetricsEndpoint.Address("0.0.0.0", 9464), MetricsEndpoint.Address.parse("0.0.0.0:9464", true));
        for (String bad : List.of("127.0.0.1:http", "127.0.0.1:70000", "::1:9100", "[::1", "[::1]x")) {
            IllegalArgumentException b = assertThrows(IllegalArgumentException.class,
                    () -> MetricsEndpoint.Address.parse(bad, false), bad);
            assertTrue(b.getMessage().startsWith("mount option \"metrics=" + bad + "\": "), b.getMessage());
        }
    }

    @Test
    void aTakenPortIsAClearError() throws Exception {
        try (MetricsEndpoint first = MetricsEndpoint.start(new Metrics(), new MetricsEndpoint.Address("127.0.0.1", 0))) {
            int port = first.address().port();
            IOException e = assertThrows(IOException.class,
                    () -> MetricsEndpoint.start(new Metrics(), new MetricsEndpoint.Address("127.0.0.1", port)));
            assertTrue(e.getMessage().startsWith("cannot serve metrics on 127.0.0.1:" + port + ": "), e.getMessage());
        }
    }
}
