package io.cloudmirror.origin;

import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Removes secrets from text before it is logged, shown or thrown: SAS signatures and tokens, account
 * keys, connection-string secrets, bearer, basic and shared-key authorizations, JSON web tokens wherever
 * they appear (access tokens, federated tokens), OAuth form and JSON fields, managed identity headers,
 * and any literal secret registered at run time (keys, SAS tokens, managed identity header values).
 * Everything cloudmirror prints goes through it: logs (the daemon's logger), status and its last error,
 * probe details and exception messages.
 *
 * <p>Thread-safe; registration is rare and reads are lock-free.
 */
public final class Redactor {

    /** What replaces a secret. */
    public static final String MASK = "***";

    private static final Pattern PATTERNS = Pattern.compile(
            "(?i)(?<key>(?:[?&]|\\b)sig=)(?<v1>[^&\\s\"';]+)"
            + "|(?<kv>\\b(?:AccountKey|SharedAccessSignature|SharedAccessKey|ClientSecret|client_secret|"
            + "access_token|refresh_token|id_token|client_assertion|X-IDENTITY-HEADER|IDENTITY_HEADER|MSI_SECRET|"
            + "secret|password)\"?\\s*[=:]\\s*\"?)(?<v2>[^;\\s\"&,]+)"
            + "|(?<auth>\\b(?-i:Bearer|Basic|SharedKey|SharedKeyLite)\\s+)(?<v3>[A-Za-z0-9._~+/:=-]{8,})"
            + "|(?<jwt>\\beyJ[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]*)");

    private static final Set<String> LITERALS = new CopyOnWriteArraySet<>();

    private Redactor() {
    }

    /** Registers a secret value (a key, a token) so that it is masked wherever it appears. */
    public static void register(String secret) {
        if (secret != null && secret.strip().length() >= 8) {
            LITERALS.add(secret.strip());
        }
    }

    /** Returns {@code text} with every known secret masked; {@code null} stays {@code null}. */
    public static String redact(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        String out = text;
        for (String literal : LITERALS) {
            if (out.contains(literal)) {
                out = out.replace(literal, MASK);
            }
        }
        Matcher m = PATTERNS.matcher(out);
        if (!m.find()) {
            return out;
        }
        StringBuilder sb = new StringBuilder(out.length());
        do {
            String prefix = m.group("key") != null ? m.group("key")
                    : m.group("kv") != null ? m.group("kv") : m.group("auth") != null ? m.group("auth") : "";
            m.appendReplacement(sb, Matcher.quoteReplacement(prefix + MASK));
        } while (m.find());
        m.appendTail(sb);
        return sb.toString();
    }
}
