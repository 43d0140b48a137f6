package io.cloudmirror.control;

import io.cloudmirror.control.ControlProtocol.Request;
import io.cloudmirror.control.ControlProtocol.Response;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The command line's end of the control channel: sends one request to a daemon's socket and reads its
 * response lines until the daemon closes the connection (see {@link ControlProtocol}). A daemon that says
 * nothing for {@code idle} is given up on, so a wedged daemon never hangs {@code cloudmirror status}.
 *
 * <p>Stateless; each call uses its own connection and a short-lived watchdog thread.
 */
public final class ControlClient {

    private ControlClient() {
    }

    /** Receives response lines as they arrive. */
    @FunctionalInterface
    public interface Receiver {
        /** Takes one response; return false to stop reading (the connection is closed). */
        boolean accept(Response r) throws IOException;
    }

    /** The daemon behind a socket cannot be reached (stale socket, daemon gone) or broke off. */
    public static final class Unreachable extends IOException {
        private static final long serialVersionUID = 1L;

        Unreachable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Sends {@code request} to the daemon at {@code socket} and hands every response line to
     * {@code receiver} until the daemon closes the connection.
     *
     * @param idle how long the daemon may stay silent before the call fails
     * @throws Unreachable if nobody listens on the socket, or the daemon went silent or away mid-answer
     */
    public static void call(Path socket, Request request, Duration idle, Receiver receiver) throws IOException {
        SocketChannel c;
        try {
            c = SocketChannel.open(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            throw new Unreachable("no daemon answers on " + socket + ": " + e.getMessage(), e);
        }
        AtomicLong lastHeard = new AtomicLong(System.nanoTime());
        Thread watchdog = new Thread(() -> {
            try {
                while (c.isOpen()) {
                    Thread.sleep(200);
                    if (System.nanoTime() - lastHeard.get() > idle.toNanos()) {
                        c.close();
                    }
                }
            } catch (InterruptedException | IOException e) {
                // done
            }
        }, "control-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        try (c; InputStream in = new BufferedInputStream(Channels.newInputStream(c));
             OutputStream out = Channels.newOutputStream(c)) {
            out.write((ControlProtocol.write(request) + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            String line;
            while ((line = ControlServer.readLine(in)) != null) {
                lastHeard.set(System.nanoTime());
                Response r;
                try {
                    r = ControlProtocol.read(line, Response.class);
                } catch (IllegalArgumentException e) {
                    throw new Unreachable("the daemon on " + socket + " answered something unexpected "
                            + "(a different cloudmirror version?): " + e.getMessage(), e);
                }
                if (!receiver.accept(r)) {
                    return;
                }
            }
        } catch (Unreachable e) {
            throw e;
        } catch (IOException e) {
            boolean silent = System.nanoTime() - lastHeard.get() > idle.toNanos();
            throw new Unreachable(silent ? "the daemon on " + socket + " said nothing for " + idle.toSeconds() + " s"
                    : "the daemon on " + socket + " broke off: " + e.getMessage(), e);
        } finally {
            watchdog.interrupt();
        }
    }

    /** Sends {@code request} and returns every response line. */
    public static List<Response> ask(Path socket, Request request, Duration idle) throws IOException {
        List<Response> all = new ArrayList<>();
        call(socket, request, idle, r -> all.add(r));
        return all;
    }
}
