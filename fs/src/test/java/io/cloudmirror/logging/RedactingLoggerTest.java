package io.cloudmirror.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cloudmirror.origin.AzureCredential;
import io.cloudmirror.origin.OriginException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/** Every line the daemon logs passes through the redactor: no secret reaches a log, whatever carries it. */
class RedactingLoggerTest {

    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
    private final RedactingLogger log = new RedactingLogger("io.cloudmirror.test.Subject", Level.DEBUG);

    @BeforeEach
    void capture() {
        LogSink.redirect(new PrintStream(captured, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        LogSink.redirect(System.err);
    }

    private String output() {
        return captured.toString(StandardCharsets.UTF_8);
    }

    private static String jwt() {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        return b64.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(("{\"aud\":\"https://storage.azure.com\",\"jti\":\"" + UUID.randomUUID() + "\"}")
                .getBytes(StandardCharsets.UTF_8)) + "." + b64.encodeToString(UUID.randomUUID().toString().getBytes());
    }

    @Test
    void noSecretReachesTheLogWhateverCarriesIt() {
        String key = Base64.getEncoder().encodeToString(UUID.randomUUID().toString().repeat(2).getBytes());
        new AzureCredential.AccountKey("acct", key); // the daemon registers every key it reads
        String sig = "s1g" + UUID.randomUUID().toString().replace("-", "");
        String sas = "sv=2025-01-05&ss=b&srt=co&sp=rl&se=2030-01-01T00%3A00%3A00Z&sig=" + sig;
        String bearer = jwt();
        String federated = jwt();
        String arcKey = "arc" + UUID.randomUUID();
        String header = "hdr" + UUID.randomUUID();
        List<String> secrets = List.of(key, sig, bearer, federated, arcKey, header);

        log.info("GET https://acct.blob.core.windows.net/media?restype=container&comp=list&{}", sas);
        log.warn("connection string: DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={};", key);
        log.debug("request headers: Authorization: Bearer {}, x-ms-version: 2025-01-05", bearer);
        log.debug("token response: {\"token_type\":\"Bearer\",\"expires_in\":3599,\"access_token\":\"{}\"}", bearer);
        log.debug("client_assertion={}&client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                federated);
        log.debug("Arc retry: Authorization: Basic {}", arcKey);
        log.debug("App Service request: X-IDENTITY-HEADER: {}", header);
        log.info("the projected token is {}", federated);
        log.error("sync failed", new IOException("wrapped",
                new OriginException.Failed("listing with key " + key + " and token " + bearer, null)));
        log.warn("raw key {}", key);

        String out = output();
        for (String secret : secrets) {
            assertFalse(out.contains(secret), "a secret reached the log:\n" + out);
        }
        assertTrue(out.contains("&sp=rl&se=2030-01-01T00%3A00%3A00Z&sig=***"), "the rest of a URL is kept:\n" + out);
        assertTrue(out.contains("Caused by: io.cloudmirror.origin.OriginException$Failed"), "stack traces kept:\n" + out);
        assertEquals(10, out.lines().filter(l -> l.contains(" - ")).count(), out);
    }

    @Test
    void plainWordsAboutCredentialsStay() {
        log.warn("MANAGED_IDENTITY authenticates with bearer tokens, which Azure Storage accepts only over https");
        log.warn("media: secret file /etc/cloudmirror/media.key is accessible to other users (mode rw-r--r--)");
        String out = output();
        assertTrue(out.contains("authenticates with bearer tokens, which Azure Storage accepts only over https"), out);
        assertTrue(out.contains("secret file /etc/cloudmirror/media.key is accessible"), out);
    }
}
