package io.cloudmirror.origin.vfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.cloudmirror.origin.BackendConnection;
import io.cloudmirror.origin.BlobItem;
import io.cloudmirror.origin.OriginException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link VfsOrigin} over one file served by a local HTTP server (the JDK's, started by the test, answering
 * HEAD, GET and {@code Range: bytes=} like a static file server): listed as one blob, ranged reads exact and
 * pinned to size and Last-Modified, a missing file NotFound.
 */
class VfsHttpOriginTest {

    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d*)");

    @TempDir
    Path dir;

    private HttpServer server;
    private final AtomicInteger rangeRequests = new AtomicInteger();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::serve);
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void serve(HttpExchange x) throws IOException {
        try (x) {
            Path f = dir.resolve(x.getRequestURI().getPath().substring(1));
            if (!Files.isRegularFile(f)) {
                x.sendResponseHeaders(404, -1);
                return;
            }
            byte[] all = Files.readAllBytes(f);
            x.getResponseHeaders().set("Last-Modified", DateTimeFormatter.RFC_1123_DATE_TIME.format(
                    Files.getLastModifiedTime(f).toInstant().atOffset(ZoneOffset.UTC)));
            x.getResponseHeaders().set("Accept-Ranges", "bytes");
            byte[] body = all;
            int status = 200;
            String range = x.getRequestHeaders().getFirst("Range");
            if (range != null) {
                Matcher m = RANGE.matcher(range);
                if (m.matches()) {
                    rangeRequests.incrementAndGet();
                    int from = (int) Math.min(Long.parseLong(m.group(1)), all.length);
                    int to = m.group(2).isEmpty() ? all.length - 1 : (int) Math.min(Long.parseLong(m.group(2)), all.length - 1);
                    body = Arrays.copyOfRange(all, from, to + 1);
                    status = 206;
                    x.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + to + "/" + all.length);
                }
            }
            if (x.getRequestMethod().equals("HEAD")) {
                x.getResponseHeaders().set("Content-Length", Integer.toString(body.length));
                x.sendResponseHeaders(status, -1);
                return;
            }
            x.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
            try (OutputStream out = x.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private String url(String name) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/" + name;
    }

    private static List<BlobItem> list(VfsOrigin origin) throws OriginException {
        List<BlobItem> items = new ArrayList<>();
        origin.list("", items::add);
        return items;
    }

    @Test
    void oneFileListsAndReadsRangesPinnedToItsVersion() throws Exception {
        byte[] content = new byte[300_000];
        new Random(5).nextBytes(content);
        Path f = Files.write(dir.resolve("model.bin"), content);
        Instant mtime = Instant.parse("2025-01-02T03:04:05Z");
        Files.setLastModifiedTime(f, FileTime.from(mtime));
        try (VfsOrigin origin = VfsOrigin.create(VfsSettings.of(url("model.bin")))) {
            List<BlobItem> items = list(origin);
            assertEquals(1, items.size(), items.toString());
            BlobItem b = items.get(0);
            assertEquals("model.bin", b.name());
            assertEquals(content.length, b.size());
            assertEquals(mtime, b.lastModified());
            assertEquals(VfsOrigin.etagOf(content.length, mtime.toEpochMilli()), b.etag());

            ByteBuffer dst = ByteBuffer.allocate(70_000);
            assertEquals(70_000, origin.read("model.bin", b.etag(), 200_000, dst));
            assertArrayEquals(Arrays.copyOfRange(content, 200_000, 270_000), dst.array());
            assertTrue(rangeRequests.get() > 0, "a ranged read asks for a range, not the whole file");
            assertEquals(BackendConnection.CONNECTED, origin.probe().connection());

            Files.setLastModifiedTime(f, FileTime.from(mtime.plusSeconds(60)));
            assertThrows(OriginException.VersionGone.class,
                    () -> origin.read("model.bin", b.etag(), 0, ByteBuffer.allocate(10)));
        }
    }

    @Test
    void aMissingFileIsNotFound() throws Exception {
        try (VfsOrigin origin = VfsOrigin.create(VfsSettings.of(url("nothing.bin")))) {
            assertEquals(BackendConnection.NOT_FOUND, origin.probe().connection());
            assertThrows(OriginException.ContainerMissing.class, () -> list(origin));
        }
    }
}
