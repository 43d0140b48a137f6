package io.cloudmirror.origin;

import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Shared Key authorization of the ranged GETs {@link HttpRangeReader} sends, as the Azure Storage REST
 * documentation ("Authorize with Shared Key") defines it for the Blob service: an HMAC-SHA256, keyed with the
 * account key, of the verb, the standard headers, the {@code x-ms-} headers and the account-qualified
 * encoded path. Requests carry no query string, so none is canonicalized.
 *
 * <p>Thread-safe. Never prints the key.
 */
final class SharedKey implements HttpRangeReader.Authorizer {

    /** The standard headers in the order the string to sign lists them. */
    private static final String[] STANDARD = {"Content-Encoding", "Content-Language", "Content-Length", "Content-MD5",
        "Content-Type", "Date", "If-Modified-Since", "If-Match", "If-None-Match", "If-Unmodified-Since", "Range"};

    private final String account;
    private final SecretKeySpec key;

    SharedKey(String account, String base64Key) {
        this.account = account;
        this.key = new SecretKeySpec(Base64.getDecoder().decode(base64Key.strip()), "HmacSHA256");
    }

    /**
     * The shared key of a connection string ({@code AccountName=...;AccountKey=...}), or null if it has none.
     */
    static SharedKey fromConnectionString(String cs) {
        String name = null;
        String accountKey = null;
        for (String part : cs.split(";")) {
            int eq = part.indexOf('=');
            if (eq <= 0) {
                continue;
            }
            String k = part.substring(0, eq).strip();
            if (k.equalsIgnoreCase("AccountName")) {
                name = part.substring(eq + 1).strip();
            } else if (k.equalsIgnoreCase("AccountKey")) {
                accountKey = part.substring(eq + 1).strip();
            }
        }
        return name == null || accountKey == null ? null : new SharedKey(name, accountKey);
    }

    @Override
    public URL authorize(URL url, Map<String, String> headers) {
        headers.put("Authorization", "SharedKey " + account + ":" + sign(stringToSign("GET", url, headers)));
        return url;
    }

    String stringToSign(String verb, URL url, Map<String, String> headers) {
        Map<String, String> byName = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        byName.putAll(headers);
        StringBuilder sb = new StringBuilder(verb).append('\n');
        for (String h : STANDARD) {
            String v = byName.get(h);
            sb.append(v == null || h.equals("Content-Length") && v.equals("0") ? "" : v).append('\n');
        }
        Map<String, String> ms = new TreeMap<>();
        for (Map.Entry<String, String> e : headers.entrySet()) {
            String name = e.getKey().toLowerCase(Locale.ROOT);
            if (name.startsWith("x-ms-")) {
                ms.put(name, e.getValue().strip());
            }
        }
        for (Map.Entry<String, String> e : ms.entrySet()) {
            sb.append(e.getKey()).append(':').append(e.getValue()).append('\n');
        }
        sb.append('/').append(account).append(url.getPath());
        return sb.toString();
    }

    private String sign(String stringToSign) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return Base64.getEncoder().encodeToString(mac.doFinal(stringToSign.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    @Override
    public String toString() {
        return "SharedKey[" + account + ", " + Redactor.MASK + "]";
    }
}
