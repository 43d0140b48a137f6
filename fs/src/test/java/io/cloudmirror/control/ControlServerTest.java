package io.cloudmirror.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cloudmirror.control.ControlProtocol.Request;
import io.cloudmirror.control.ControlProtocol.Response;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real Unix domain socket: permissions, stale sockets, streaming, bad requests, early hang-ups. */
class ControlServerTest {

    @TempDir
    Path tmp;

    private static final ControlServer.Handler ECHO = (req, out) -> out.send(Response.error("echo " + req.command()));

    @Test
    void servesOwnerOnlyAndRemovesItsSocket() throws Exception {
        Path runtime = tmp.resolve("run");
        Path socket = ControlSockets.of(runtime, Path.of("/data"));
        assertTrue(socket.toString().length() < 108, "fits sun_path");
        assertEquals(socket, ControlSockets.of(runtime, Path.of("/data/../data/")), "one socket per mount point");
        try (ControlServer s = ControlServer.start(socket, ECHO)) {
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(runtime)));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
            assertEquals(List.of(socket), ControlSockets.all(runtime));
            List<Response> r = ControlClient.ask(socket, Request.status(null, true), Duration.ofSeconds(10));
            assertEquals(List.of(Response.error("echo status")), r);
        }
        assertFalse(Files.exists(socket), "removed at close");
    }

    @Test
    void replacesAStaleSocketButNotALiveSuccessorsOnClose() throws Exception {
        Path socket = tmp.resolve("ctl-test.sock");
        ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        dead.bind(UnixDomainSocketAddress.of(socket));
        dead.close(); // the file stays, nobody listens: a crashed daemon's socket
        assertTrue(Files.exists(socket));
        assertThrows(ControlClient.Unreachable.class,
                () -> ControlClient.ask(socket, Request.status(null, true), Duration.ofSeconds(5)));
        ControlServer first = ControlServer.start(socket, ECHO);
        assertEquals(1, ControlClient.ask(socket, Request.status(null, true), Duration.ofSeconds(10)).size());
        try (ControlServer second = ControlServer.start(socket, (req, out) -> out.send(Response.error("second")))) {
            first.close();
            assertTrue(Files.exists(socket), "the first server leaves the second's socket alone");
            assertEquals(List.of(Response.error("second")),
                    ControlClient.ask(socket, Request.status(null, true), Duration.ofSeconds(10)));
        }
    }

    @Test
    void streamsSeveralLinesAndSurvivesAClientThatHangsUp() throws Exception {
        Path socket = tmp.resolve("ctl-stream.sock");
        CountDownLatch clientGone = new CountDownLatch(1);
        ControlServer.Handler stream = (req, out) -> {
            try {
                for (int i = 0; i < 10_000; i++) {
                    out.send(Response.progress(List.of()));
                    Thread.sleep(1);
                }
            } catch (java.io.IOException e) {
                clientGone.countDown();
                throw e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        try (ControlServer s = ControlServer.start(socket, stream)) {
            List<Response> got = new ArrayList<>();
            ControlClient.call(socket, Request.sync(null, true), Duration.ofSeconds(10), r -> {
                got.add(r);
                return got.size() < 3;
            });
            assertEquals(3, got.size());
            assertTrue(clientGone.await(20, TimeUnit.SECONDS), "the handler learns the client left");
        }
    }

    @Test
    void badRequestsGetAnError() throws Exception {
        Path socket = tmp.resolve("ctl-bad.sock");
        try (ControlServer s = ControlServer.start(socket, ECHO);
             SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket));
             OutputStream out = Channels.newOutputStream(c)) {
            out.write("{\"nothing\": true}\n".getBytes(StandardCharsets.UTF_8));
            String answer = ControlServer.readLine(Channels.newInputStream(c));
            Response r = ControlProtocol.read(answer, Response.class);
            assertEquals("error", r.type());
            assertTrue(r.message().startsWith("bad request"), r.message());
        }
    }
}
