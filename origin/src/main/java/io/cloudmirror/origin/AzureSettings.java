package io.cloudmirror.origin;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything needed to reach one Azure Blob container.
 *
 * @param endpoint       the account's blob endpoint, e.g. {@code https://acct.blob.core.windows.net/} or the
 *                       path-style {@code http://127.0.0.1:10000/devstoreaccount1/}
 * @param container      the container name
 * @param credential     how to authenticate
 * @param includeTags    whether listings fetch blob index tags (needs Storage Blob Data Owner)
 * @param connectTimeout how long to wait for a TCP/TLS connection
 * @param tryTimeout     how long one HTTP attempt (including reading its body) may take
 * @param maxTries       attempts per request, first try included
 */
public record AzureSettings(URI endpoint, String container, AzureCredential credential, boolean includeTags,
                            Duration connectTimeout, Duration tryTimeout, int maxTries) {

    /**
     * Defaults that fail an unreachable origin within seconds while riding out short blips: a refused
     * connection fails after three quick tries, a silent server after three bounded attempts.
     */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(3);
    public static final Duration DEFAULT_TRY_TIMEOUT = Duration.ofSeconds(15);
    public static final int DEFAULT_MAX_TRIES = 3;

    public AzureSettings {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(container, "container");
        Objects.requireNonNull(credential, "credential");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(tryTimeout, "tryTimeout");
        if (maxTries < 1) {
            throw new IllegalArgumentException("maxTries must be at least 1");
        }
    }

    /** Settings with default timeouts and retries. */
    public static AzureSettings of(URI endpoint, String container, AzureCredential credential, boolean includeTags) {
        return new AzureSettings(endpoint, container, credential, includeTags,
                DEFAULT_CONNECT_TIMEOUT, DEFAULT_TRY_TIMEOUT, DEFAULT_MAX_TRIES);
    }

    /** The account name: the first host label, or for path-style (IP or localhost) endpoints the first path segment. */
    public String accountName() {
        return accountNameOf(endpoint);
    }

    /** The account name an endpoint designates. */
    public static String accountNameOf(URI endpoint) {
        String host = endpoint.getHost() == null ? "" : endpoint.getHost();
        boolean pathStyle = host.equals("localhost") || host.matches("[0-9.]+") || host.startsWith("[")
                || host.contains(":");
        if (pathStyle) {
            String path = endpoint.getPath() == null ? "" : endpoint.getPath();
            for (String segment : path.split("/")) {
                if (!segment.isEmpty()) {
                    return segment;
                }
            }
            return "";
        }
        int dot = host.indexOf('.');
        return dot < 0 ? host : host.substring(0, dot);
    }
}
