package io.cloudmirror.control;

import io.cloudmirror.control.ControlProtocol.Request;
import io.cloudmirror.control.ControlProtocol.Response;
import io.cloudmirror.origin.Redactor;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A daemon's end of the control channel: listens on a Unix domain socket (mode 0600, in a 0700 directory, so
 * only the daemon's user reaches it), reads one {@link Request} per connection and lets a {@link Handler}
 * answer it with {@link Response} lines (see {@link ControlProtocol}). A stale socket left by a dead daemon
 * is replaced at start; the socket is removed at close, unless another daemon has replaced it since.
 *
 * <p>Threading: one accept thread; each connection is served on its own daemon thread, at most
 * {@value #MAX_CONNECTIONS} at once (more are told the daemon is busy).
 */
public final class ControlServer implements AutoCloseable {

    /** Connections served at once. */
    static final int MAX_CONNECTIONS = 16;

    private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);

    /** Answers one request. Called on the connection's thread; may block (e.g. to stream sync progress). */
    @FunctionalInterface
    public interface Handler {
        /**
         * Answers {@code request} by sending one or more responses to {@code out}.
         *
         * @throws IOException when sending fails (the client went away); handlers just let it pass
         */
        void handle(Request request, Sink out) throws IOException;
    }

    /** Where a handler sends its response lines. */
    @FunctionalInterface
    public interface Sink {
        void send(Response response) throws IOException;
    }

    private final Path socket;
    private final ServerSocketChannel server;
    private final Object fileKey;
    private final Handler handler;
    private final Semaphore slots = new Semaphore(MAX_CONNECTIONS);
    private final Thread acceptor;
    private volatile boolean closed;

    private ControlServer(Path socket, ServerSocketChannel server, Object fileKey, Handler handler) {
        this.socket = socket;
        this.server = server;
        this.fileKey = fileKey;
        this.handler = handler;
        this.acceptor = new Thread(this::acceptLoop, "control");
        acceptor.setDaemon(true);
    }

    /**
     * Binds {@code socket} (replacing a stale one) and starts serving.
     *
     * @throws IOException if the socket cannot be created
     */
    public static ControlServer start(Path socket, Handler handler) throws IOException {
        Path dir = socket.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            restrict(dir, "rwx------");
        }
        if (Files.exists(socket)) {
            if (answers(socket)) {
                LOG.warn("another process answers on {}; taking the socket over (the mount point is ours now)", socket);
            } else {
                LOG.info("removing the stale control socket {}", socket);
            }
            Files.deleteIfExists(socket);
        }
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(socket));
            restrict(socket, "rw-------");
            Object key = Files.readAttributes(socket, BasicFileAttributes.class).fileKey();
            ControlServer s = new ControlServer(socket, server, key, handler);
            s.acceptor.start();
            LOG.info("control socket {}", socket);
            return s;
        } catch (IOException | RuntimeException e) {
            server.close();
            throw new IOException("cannot listen on control socket " + socket + ": " + e.getMessage(), e);
        }
    }

    private static void restrict(Path p, String mode) {
        try {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
        } catch (IOException | UnsupportedOperationException e) {
            LOG.warn("cannot restrict {} to {}: {}", p, mode, e.toString());
        }
    }

    /** Whether a process accepts connections on {@code socket}. */
    static boolean answers(Path socket) {
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            return c.isConnected();
        } catch (IOException e) {
            return false;
        }
    }

    /** The socket served. */
    public Path socket() {
        return socket;
    }

    private void acceptLoop() {
        while (!closed) {
            SocketChannel c;
            try {
                c = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("control socket accept failed: {}", e.toString());
                }
                return;
            }
            if (!slots.tryAcquire()) {
                try (c; OutputStream out = Channels.newOutputStream(c)) {
                    writeLine(out, Response.error("the daemon is busy answering " + MAX_CONNECTIONS
                            + " other requests; try again"));
                } catch (IOException e) {
                    LOG.debug("refusing a control connection: {}", e.toString());
                }
                continue;
            }
            Thread t = new Thread(() -> {
                try {
                    serve(c);
                } finally {
                    slots.release();
                }
            }, "control-conn");
            t.setDaemon(true);
            t.start();
        }
    }

    private void serve(SocketChannel c) {
        try (c; InputStream in = new BufferedInputStream(Channels.newInputStream(c));
             OutputStream out = Channels.newOutputStream(c)) {
            String line = readLine(in);
            if (line == null) {
                return;
            }
            Request request;
            try {
                request = ControlProtocol.read(line, Request.class);
                Objects.requireNonNull(request.command(), "command");
            } catch (IllegalArgumentException | NullPointerException e) {
                writeLine(out, Response.error("bad request: " + e.getMessage()));
                return;
            }
            try {
                handler.handle(request, r -> writeLine(out, r));
            } catch (IOException e) {
                LOG.debug("control client went away: {}", e.toString());
            } catch (RuntimeException e) {
                LOG.error("answering control request {} failed", request.command(), e);
                writeLine(out, Response.error("internal error: " + Redactor.redact(String.valueOf(e.getMessage()))));
            }
        } catch (IOException e) {
            LOG.debug("control connection: {}", e.toString());
        }
    }

    /** One line (without its newline), or null at end of stream; longer than the limit fails. */
    static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                return buf.toString(StandardCharsets.UTF_8);
            }
            if (buf.size() >= ControlProtocol.MAX_REQUEST) {
                throw new IOException("line longer than " + ControlProtocol.MAX_REQUEST + " bytes");
            }
            buf.write(b);
        }
        return buf.size() == 0 ? null : buf.toString(StandardCharsets.UTF_8);
    }

    static void writeLine(OutputStream out, Response r) throws IOException {
        out.write((ControlProtocol.write(r) + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** Stops listening and removes the socket (if it is still this server's). */
    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            LOG.debug("closing the control socket: {}", e.toString());
        }
        try {
            if (Files.exists(socket)
                    && Objects.equals(Files.readAttributes(socket, BasicFileAttributes.class).fileKey(), fileKey)) {
                Files.delete(socket);
            }
        } catch (IOException e) {
            LOG.debug("removing {}: {}", socket, e.toString());
        }
    }
}
