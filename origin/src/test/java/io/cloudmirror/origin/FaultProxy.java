package io.cloudmirror.origin;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * An HTTP/1.1 proxy on a loopback port in front of a real blob service (Azurite), scriptable per request, for
 * fault tests of everything that talks to the cloud: the origin's listings and ranged reads, and the daemon.
 *
 * <p>Each request is matched against the {@linkplain #on rules} in the order they were added; the first rule
 * that matches and has uses left decides what the client gets ({@link Fault}); unmatched requests pass
 * through. Every request is forwarded on its own upstream connection (with {@code Connection: close}), the
 * whole upstream response is read, and then the fault is applied to what goes back: a reset (TCP RST) or a
 * clean close after part of the body, an error status with {@code Retry-After}, a stall, or a hold until the
 * test releases it (the response then is the one the service gave when the request arrived, however the
 * container changed meanwhile). The client gets {@code Connection: close} on every response.
 *
 * <p>Thread-safe; one thread per client connection. {@link #close()} drops every connection.
 */
public final class FaultProxy implements AutoCloseable {

    /** A request as the proxy saw it. */
    public record Request(String method, String target, Map<String, String> headers) {
        /** A container listing ({@code restype=container&comp=list}), the listing and probe of the origin. */
        public boolean isListing() {
            return method.equals("GET") && target.contains("comp=list");
        }

        /** A ranged GET of a blob (the origin's reads). */
        public boolean isRead() {
            return method.equals("GET") && !target.contains("comp=") && (headers.containsKey("x-ms-range")
                    || headers.containsKey("range"));
        }

        /** The header's value, or null (names are case-insensitive). */
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** What a matched request gets. */
    public sealed interface Fault {
    }

    /** Forwarded unchanged. */
    public record Pass() implements Fault {
    }

    /** The status line and headers, then {@code bodyBytes} bytes of the body, then a TCP reset. */
    public record Reset(int bodyBytes) implements Fault {
    }

    /** The status line and headers (with the full Content-Length), {@code bodyBytes} of the body, then EOF. */
    public record Truncate(int bodyBytes) implements Fault {
    }

    /**
     * An error answer made up by the proxy (the request never reaches the service), with an Azure-style error
     * code and, when {@code retryAfterSeconds >= 0}, a {@code Retry-After} header.
     */
    public record Status(int status, String errorCode, int retryAfterSeconds) implements Fault {
    }

    /** Nothing at all comes back for {@code duration} (the request is read), then the connection closes. */
    public record Stall(Duration duration) implements Fault {
    }

    /** The service's answer, fetched when the request arrived, is held back until {@code release} opens. */
    public record Hold(CountDownLatch release, CountDownLatch arrived) implements Fault {
    }

    /** The service's answer is forwarded after {@code duration}. */
    public record Delay(Duration duration) implements Fault {
    }

    public static Fault pass() {
        return new Pass();
    }

    public static Fault reset(int bodyBytes) {
        return new Reset(bodyBytes);
    }

    public static Fault truncate(int bodyBytes) {
        return new Truncate(bodyBytes);
    }

    /** 503 ServerBusy with {@code Retry-After}, as Azure throttles an account. */
    public static Fault serverBusy(int retryAfterSeconds) {
        return new Status(503, "ServerBusy", retryAfterSeconds);
    }

    /** 500 InternalError without {@code Retry-After}. */
    public static Fault internalError() {
        return new Status(500, "InternalError", -1);
    }

    /** 429 with {@code Retry-After}. */
    public static Fault tooManyRequests(int retryAfterSeconds) {
        return new Status(429, "TooManyRequests", retryAfterSeconds);
    }

    public static Fault stall(Duration d) {
        return new Stall(d);
    }

    public static Fault delay(Duration d) {
        return new Delay(d);
    }

    /** A rule: which requests, how many more times, what they get. */
    private static final class Rule {
        final Predicate<Request> match;
        final AtomicInteger left;
        final Fault fault;

        Rule(Predicate<Request> match, int times, Fault fault) {
            this.match = match;
            this.left = new AtomicInteger(times);
            this.fault = fault;
        }
    }

    /** One request seen, and what it got. */
    public record Seen(Request request, Fault fault, long atNanos) {
    }

    private final ServerSocket server;
    private final int target;
    private final List<Rule> rules = new CopyOnWriteArrayList<>();
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    /** Starts proxying a loopback port to {@code targetPort} on 127.0.0.1. */
    public FaultProxy(int targetPort) throws IOException {
        this.target = targetPort;
        this.server = new ServerSocket(0, 100, InetAddress.getByName("127.0.0.1"));
        Thread accept = new Thread(this::acceptLoop, "fault-proxy-accept");
        accept.setDaemon(true);
        accept.start();
    }

    /** The proxy's port on 127.0.0.1. */
    public int port() {
        return server.getLocalPort();
    }

    /** A path-style blob endpoint for {@code account} through the proxy, with a trailing slash. */
    public String endpoint(String account) {
        return "http://127.0.0.1:" + port() + "/" + account + "/";
    }

    /** The next {@code times} requests that match get {@code fault} (rules are tried in the order added). */
    public FaultProxy on(Predicate<Request> match, int times, Fault fault) {
        rules.add(new Rule(match, times, fault));
        return this;
    }

    /** Every request that matches gets {@code fault}, until {@link #clear()}. */
    public FaultProxy always(Predicate<Request> match, Fault fault) {
        return on(match, Integer.MAX_VALUE, fault);
    }

    /** Forgets every rule: from now on everything passes. */
    public FaultProxy clear() {
        rules.clear();
        return this;
    }

    /** Every request seen so far, in arrival order. */
    public List<Seen> seen() {
        return List.copyOf(seen);
    }

    /** How many requests matching {@code which} were seen. */
    public long count(Predicate<Request> which) {
        return seen.stream().filter(s -> which.test(s.request())).count();
    }

    /** How many requests got a fault of type {@code kind}. */
    public long applied(Class<? extends Fault> kind) {
        return seen.stream().filter(s -> kind.isInstance(s.fault())).count();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket client = server.accept();
                sockets.add(client);
                Thread t = new Thread(() -> serve(client), "fault-proxy-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    private void serve(Socket client) {
        try (client) {
            InputStream in = client.getInputStream();
            OutputStream out = client.getOutputStream();
            while (!closed) {
                byte[] head = readHead(in);
                if (head == null) {
                    return;
                }
                Parsed req = Parsed.of(head);
                byte[] body = in.readNBytes((int) req.contentLength());
                Request request = new Request(req.first().split(" ")[0], req.first().split(" ")[1], req.headers());
                Fault fault = choose(request);
                seen.add(new Seen(request, fault, System.nanoTime()));
                if (!answer(request, req, body, fault, client, out)) {
                    return;
                }
            }
        } catch (IOException | InterruptedException e) {
            // the client went away, or the proxy closed
        } finally {
            sockets.remove(client);
        }
    }

    private Fault choose(Request r) {
        for (Rule rule : rules) {
            if (rule.match.test(r)) {
                while (true) {
                    int n = rule.left.get();
                    if (n <= 0) {
                        break;
                    }
                    if (rule.left.compareAndSet(n, n == Integer.MAX_VALUE ? n : n - 1)) {
                        return rule.fault;
                    }
                }
            }
        }
        return new Pass();
    }

    /** Answers one request; false when the connection must end. */
    private boolean answer(Request request, Parsed req, byte[] body, Fault fault, Socket client, OutputStream out)
            throws IOException, InterruptedException {
        if (fault instanceof Status s) {
            byte[] xml = ("<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>" + s.errorCode()
                    + "</Code><Message>injected by the test proxy</Message></Error>").getBytes(StandardCharsets.UTF_8);
            StringBuilder h = new StringBuilder("HTTP/1.1 " + s.status() + " " + reason(s.status()) + "\r\n")
                    .append("Content-Type: application/xml\r\n")
                    .append("x-ms-error-code: ").append(s.errorCode()).append("\r\n")
                    .append("Content-Length: ").append(xml.length).append("\r\n")
                    .append("Connection: close\r\n");
            if (s.retryAfterSeconds() >= 0) {
                h.append("Retry-After: ").append(s.retryAfterSeconds()).append("\r\n");
            }
            out.write(h.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
            if (!request.method().equals("HEAD")) {
                out.write(xml);
            }
            out.flush();
            return false;
        }
        if (fault instanceof Stall s) {
            long until = System.nanoTime() + s.duration().toNanos();
            while (!closed && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            return false;
        }
        byte[] response = forward(req, body);
        int headEnd = indexOfHeadEnd(response);
        if (headEnd < 0) {
            out.write(response);
            return false;
        }
        Parsed resp = Parsed.of(java.util.Arrays.copyOf(response, headEnd));
        byte[] respBody = java.util.Arrays.copyOfRange(response, headEnd, response.length);
        byte[] respHead = rewriteHead(resp);
        if (fault instanceof Hold h) {
            h.arrived().countDown();
            while (!closed && !h.release().await(20, TimeUnit.MILLISECONDS)) {
                // wait for the test
            }
        } else if (fault instanceof Delay d) {
            Thread.sleep(d.duration().toMillis());
        }
        if (fault instanceof Reset r) {
            out.write(respHead);
            out.write(respBody, 0, Math.min(r.bodyBytes(), respBody.length));
            out.flush();
            client.setSoLinger(true, 0);
            client.close();
            return false;
        }
        if (fault instanceof Truncate t) {
            out.write(respHead);
            out.write(respBody, 0, Math.min(t.bodyBytes(), respBody.length));
            out.flush();
            client.shutdownOutput();
            return false;
        }
        out.write(respHead);
        out.write(respBody);
        out.flush();
        return false; // Connection: close
    }

    /** Sends the request upstream on a fresh connection and reads the whole answer. */
    private byte[] forward(Parsed req, byte[] body) throws IOException {
        try (Socket up = new Socket()) {
            up.connect(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), target), 5_000);
            up.setSoTimeout(120_000);
            StringBuilder h = new StringBuilder(req.first()).append("\r\n");
            for (Map.Entry<String, String> e : req.raw()) {
                String k = e.getKey().toLowerCase(Locale.ROOT);
                if (k.equals("connection") || k.equals("upgrade") || k.equals("http2-settings")
                        || k.equals("keep-alive")) {
                    continue;
                }
                h.append(e.getKey()).append(": ").append(e.getValue()).append("\r\n");
            }
            h.append("Connection: close\r\n\r\n");
            OutputStream o = up.getOutputStream();
            o.write(h.toString().getBytes(StandardCharsets.ISO_8859_1));
            o.write(body);
            o.flush();
            return up.getInputStream().readAllBytes();
        }
    }

    /** The response head with {@code Connection: close} instead of whatever the service said. */
    private static byte[] rewriteHead(Parsed resp) {
        StringBuilder h = new StringBuilder(resp.first()).append("\r\n");
        for (Map.Entry<String, String> e : resp.raw()) {
            String k = e.getKey().toLowerCase(Locale.ROOT);
            if (k.equals("connection") || k.equals("keep-alive")) {
                continue;
            }
            h.append(e.getKey()).append(": ").append(e.getValue()).append("\r\n");
        }
        return h.append("Connection: close\r\n\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private static int indexOfHeadEnd(byte[] b) {
        for (int i = 3; i < b.length; i++) {
            if (b[i - 3] == '\r' && b[i - 2] == '\n' && b[i - 1] == '\r' && b[i] == '\n') {
                return i + 1;
            }
        }
        return -1;
    }

    /** Reads up to and including the blank line; null at EOF before any byte. */
    private static byte[] readHead(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(1024);
        int state = 0;
        while (true) {
            int c = in.read();
            if (c < 0) {
                return null;
            }
            buf.write(c);
            state = switch (state) {
                case 0 -> c == '\r' ? 1 : 0;
                case 1 -> c == '\n' ? 2 : c == '\r' ? 1 : 0;
                case 2 -> c == '\r' ? 3 : 0;
                case 3 -> c == '\n' ? 4 : c == '\r' ? 1 : 0;
                default -> 0;
            };
            if (state == 4) {
                return buf.toByteArray();
            }
            if (buf.size() > 1 << 20) {
                throw new IOException("request head over 1 MiB");
            }
        }
    }

    /** A parsed message head: the first line and the headers, in order and by lowercase name. */
    private record Parsed(String first, List<Map.Entry<String, String>> raw, Map<String, String> headers) {
        static Parsed of(byte[] head) {
            String[] lines = new String(head, StandardCharsets.ISO_8859_1).split("\r\n");
            List<Map.Entry<String, String>> raw = new ArrayList<>();
            Map<String, String> byName = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon <= 0) {
                    continue;
                }
                String k = lines[i].substring(0, colon).strip();
                String v = lines[i].substring(colon + 1).strip();
                raw.add(Map.entry(k, v));
                byName.put(k.toLowerCase(Locale.ROOT), v);
            }
            return new Parsed(lines[0], raw, byName);
        }

        long contentLength() throws IOException {
            if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
                throw new IOException("chunked request bodies are not supported by the test proxy");
            }
            String cl = headers.get("content-length");
            return cl == null ? 0 : Long.parseLong(cl);
        }
    }

    private static String reason(int status) {
        return switch (status) {
            case 429 -> "Too Many Requests";
            case 500 -> "Internal Server Error";
            case 503 -> "Service Unavailable";
            default -> "Error";
        };
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException e) {
                // already closed
            }
        }
    }
}
