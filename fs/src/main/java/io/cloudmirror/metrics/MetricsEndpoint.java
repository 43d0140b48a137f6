package io.cloudmirror.metrics;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * The opt-in scrape endpoint: Prometheus text format at {@code http://HOST:PORT/metrics}, served by the
 * Prometheus client's own HTTP server from a daemon's {@link Metrics}. Binds to loopback unless the operator
 * explicitly allows any address ({@code metrics_bind_any}), because the metrics, while free of secrets, tell
 * what a host mirrors and how it fares.
 *
 * <p>Thread-safe; the server runs on its own small thread pool until {@link #close()}.
 */
public final class MetricsEndpoint implements AutoCloseable {

    /** The port when only a host, or nothing, is given: the Prometheus exporter default range's cloudmirror pick. */
    public static final int DEFAULT_PORT = 9464;

    private final HTTPServer server;
    private final Address address;

    private MetricsEndpoint(HTTPServer server, Address address) {
        this.server = server;
        this.address = address;
    }

    /**
     * Where to listen: the {@code metrics=} mount option. Immutable.
     *
     * @param host an IP literal or a host name
     * @param port 0 for any free port
     */
    public record Address(String host, int port) {

        /**
         * Parses {@code metrics=[HOST:]PORT}, {@code metrics=HOST}, {@code metrics=[IPV6]:PORT} (an empty value
         * means 127.0.0.1:9464), refusing an address that is not loopback unless {@code bindAny}.
         *
         * @throws IllegalArgumentException naming the option and what was expected
         */
        public static Address parse(String value, boolean bindAny) {
            String v = value == null ? "" : value.strip();
            String host = "127.0.0.1";
            String port = Integer.toString(DEFAULT_PORT);
            if (v.startsWith("[")) {
                int end = v.indexOf(']');
                if (end < 0) {
                    throw bad(value, "a closing ] after the IPv6 address");
                }
                host = v.substring(1, end);
                String rest = v.substring(end + 1);
                if (rest.startsWith(":")) {
                    port = rest.substring(1);
                } else if (!rest.isEmpty()) {
                    throw bad(value, "[IPV6]:PORT");
                }
            } else if (v.matches("\\d+")) {
                port = v;
            } else if (!v.isEmpty()) {
                int colon = v.lastIndexOf(':');
                if (colon >= 0 && v.indexOf(':') != colon) {
                    throw bad(value, "an IPv6 address in brackets, e.g. [::1]:9464");
                }
                host = colon < 0 ? v : v.substring(0, colon);
                port = colon < 0 ? port : v.substring(colon + 1);
            }
            int p;
            try {
                p = Integer.parseInt(port);
            } catch (NumberFormatException e) {
                p = -1;
            }
            if (p < 0 || p > 65535 || host.isEmpty()) {
                throw bad(value, "[HOST:]PORT with a port from 1 to 65535, e.g. metrics=127.0.0.1:9464");
            }
            InetAddress address;
            try {
                address = InetAddress.getByName(host);
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("mount option \"metrics=" + value + "\": unknown host " + host);
            }
            if (!address.isLoopbackAddress() && !bindAny) {
                throw new IllegalArgumentException("mount option \"metrics=" + value + "\": " + host
                        + " is not a loopback address; metrics are served on loopback only (127.0.0.1, ::1) "
                        + "unless the mount option metrics_bind_any is given too");
            }
            return new Address(host, p);
        }

        private static IllegalArgumentException bad(String value, String expected) {
            return new IllegalArgumentException("mount option \"metrics=" + value + "\": expected " + expected);
        }

        @Override
        public String toString() {
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        }
    }

    /**
     * Starts serving {@code metrics} at {@code address}.
     *
     * @throws IOException naming the address when it cannot be bound (in use, not local)
     */
    public static MetricsEndpoint start(Metrics metrics, Address address) throws IOException {
        try {
            HTTPServer server = HTTPServer.builder().inetAddress(InetAddress.getByName(address.host()))
                    .port(address.port()).registry(metrics.registry()).buildAndStart();
            return new MetricsEndpoint(server, new Address(address.host(), server.getPort()));
        } catch (IOException e) {
            throw new IOException("cannot serve metrics on " + address + ": "
                    + String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT), e);
        }
    }

    /** The address served (with the port chosen when 0 was asked for). */
    public Address address() {
        return address;
    }

    /** The scrape URL. */
    public String url() {
        return "http://" + address + "/metrics";
    }

    @Override
    public void close() {
        server.close();
    }
}
