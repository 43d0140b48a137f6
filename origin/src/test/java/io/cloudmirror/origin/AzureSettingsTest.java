package io.cloudmirror.origin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class AzureSettingsTest {

    private static String account(String endpoint) {
        return AzureSettings.accountNameOf(URI.create(endpoint));
    }

    @Test
    void hostStyleEndpointsNameTheAccountInTheFirstLabel() {
        assertEquals("acct", account("https://acct.blob.core.windows.net/"));
        assertEquals("acct", account("https://acct.blob.core.windows.net"));
        assertEquals("acct", account("https://acct.blob.core.chinacloudapi.cn/"));
        assertEquals("acct", account("https://acct.privatelink.blob.core.windows.net/"));
        assertEquals("acct2", account("https://acct2.blob.core.usgovcloudapi.net:443/"));
    }

    @Test
    void pathStyleEndpointsNameTheAccountInTheFirstPathSegment() {
        assertEquals("devstoreaccount1", account("http://127.0.0.1:10000/devstoreaccount1/"));
        assertEquals("devstoreaccount1", account("http://127.0.0.1:10000/devstoreaccount1"));
        assertEquals("devstoreaccount1", account("http://127.0.0.1:10000//devstoreaccount1/extra/"));
        assertEquals("devstoreaccount1", account("http://localhost:10000/devstoreaccount1/"));
        assertEquals("acct", account("https://10.1.2.3/acct/"));
        assertEquals("devstoreaccount1", account("http://[::1]:10000/devstoreaccount1/"));
        assertEquals("", account("http://127.0.0.1:10000/"), "no account segment");
    }

    @Test
    void settingsUseTheirEndpointsAccount() {
        AzureSettings s = AzureSettings.of(URI.create("http://127.0.0.1:10000/devstoreaccount1/"), "media",
                new AzureCredential.Anonymous(), false);
        assertEquals("devstoreaccount1", s.accountName());
        assertEquals(AzureSettings.DEFAULT_MAX_TRIES, s.maxTries());
        assertEquals(AzureSettings.DEFAULT_TRY_TIMEOUT, s.tryTimeout());
        assertThrows(IllegalArgumentException.class, () -> new AzureSettings(s.endpoint(), "media",
                new AzureCredential.Anonymous(), false, Duration.ofSeconds(1), Duration.ofSeconds(1), 0));
    }
}
