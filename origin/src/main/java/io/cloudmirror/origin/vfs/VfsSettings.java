package io.cloudmirror.origin.vfs;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Where a {@link VfsOrigin} reads from and how it authenticates. Immutable.
 *
 * @param uri        the source as commons-vfs spells it: {@code file:///srv/data}, {@code sftp://user@host/path},
 *                   {@code https://host/file.bin}, {@code zip:file:///srv/data.zip!/}, {@code tar:...!/dir}
 * @param password   the password for sftp or HTTP basic authentication (user name from the URI), or {@code null}
 * @param knownHosts sftp: the known_hosts file the server's host key must be in, or {@code null} to accept any
 *                   host key
 * @param timeout    connect and socket timeout for network sources
 */
public record VfsSettings(String uri, String password, Path knownHosts, Duration timeout) {

    /** Schemes whose provider ships with cloudmirror. */
    public static final Set<String> SCHEMES = Set.of("file", "sftp", "http", "https", "zip", "tar", "tgz", "tbz2",
            "jar");
    /** Archive schemes: layered over another URI, {@code zip:<outer URI>!/<path inside>}. */
    static final Set<String> ARCHIVES = Set.of("zip", "tar", "tgz", "tbz2", "jar");

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    public VfsSettings {
        Objects.requireNonNull(uri, "uri");
        Objects.requireNonNull(timeout, "timeout");
        String problem = problem(uri);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    /** Settings without a password or host key check, with the default timeout. */
    public static VfsSettings of(String uri) {
        return new VfsSettings(uri, null, null, DEFAULT_TIMEOUT);
    }

    /** The scheme, lower case: {@code file}, {@code zip}, ... */
    public String scheme() {
        return scheme(uri);
    }

    /** Whether this is an archive layered over another source. */
    public boolean isArchive() {
        return ARCHIVES.contains(scheme());
    }

    /** The innermost source an archive lies on ({@code file}, {@code sftp}, ...); this scheme otherwise. */
    public String transport() {
        String s = uri;
        while (ARCHIVES.contains(scheme(s))) {
            s = s.substring(s.indexOf(':') + 1);
        }
        return scheme(s);
    }

    /**
     * The URI without its password (a user name is kept), for logs and status. The source is a public
     * reference: it never contains the secret, which comes from {@code secretFile}/{@code secretEnv}.
     */
    public String displayName() {
        return stripPassword(uri);
    }

    /** Why {@code uri} cannot be a source, or {@code null} if it can. */
    public static String problem(String uri) {
        String scheme = scheme(uri);
        if (scheme.isEmpty()) {
            return "expected a URI with a scheme (" + String.join(", ", sorted()) + "), got \"" + uri + "\"";
        }
        if (!SCHEMES.contains(scheme)) {
            return "unsupported scheme \"" + scheme + "\"; expected one of " + String.join(", ", sorted());
        }
        if (ARCHIVES.contains(scheme)) {
            String inner = uri.substring(uri.indexOf(':') + 1);
            int bang = inner.lastIndexOf('!');
            if (bang < 0) {
                return "an archive URI names the archive and the path inside it, e.g. \"" + scheme
                        + ":file:///srv/data." + scheme + "!/\"; got \"" + uri + "\"";
            }
            return problem(inner.substring(0, bang));
        }
        if (!scheme.equals("file")) {
            try {
                URI u = new URI(uri);
                if (u.getHost() == null) {
                    return "expected " + scheme + "://host/path, got \"" + uri + "\"";
                }
                if (u.getRawUserInfo() != null && u.getRawUserInfo().contains(":")) {
                    return "the URI must not hold a password; put it in a file named by "
                            + "spec.authentication.secretFile (or an environment variable, secretEnv)";
                }
                if (u.getFragment() != null) {
                    return "expected a URI without a fragment (#...), got \"" + uri + "\"";
                }
            } catch (URISyntaxException e) {
                return "not a URI (" + e.getReason() + "): \"" + uri + "\"";
            }
        } else if (!uri.startsWith("file:/")) {
            return "expected file:///absolute/path, got \"" + uri + "\"";
        }
        return null;
    }

    private static String scheme(String uri) {
        int colon = uri.indexOf(':');
        if (colon <= 0) {
            return "";
        }
        String s = uri.substring(0, colon);
        return s.matches("[A-Za-z][A-Za-z0-9+.-]*") ? s.toLowerCase(Locale.ROOT) : "";
    }

    private static String stripPassword(String uri) {
        return uri.replaceAll("(://[^/@:]+):[^/@]*@", "$1@");
    }

    private static java.util.List<String> sorted() {
        return SCHEMES.stream().sorted().toList();
    }
}
