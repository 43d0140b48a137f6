package io.cloudmirror.origin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class RedactorTest {

    private static final String M = Redactor.MASK;

    @Test
    void nullEmptyAndHarmlessTextPassThrough() {
        assertNull(Redactor.redact(null));
        assertEquals("", Redactor.redact(""));
        String plain = "listing devstoreaccount1/media: HTTP 404 ContainerNotFound (signature of design=ok)";
        assertEquals(plain, Redactor.redact(plain));
    }

    @Test
    void sasSignatureIsMaskedAndTheRestOfTheUrlKept() {
        String url = "https://acct.blob.core.windows.net/media/a.txt?sv=2025-01-05&ss=b&srt=co&sp=rl"
                + "&se=2030-01-01T00%3A00%3A00Z&sig=AbC%2Bdef%2F123%3D&spr=https";
        assertEquals("https://acct.blob.core.windows.net/media/a.txt?sv=2025-01-05&ss=b&srt=co&sp=rl"
                + "&se=2030-01-01T00%3A00%3A00Z&sig=" + M + "&spr=https", Redactor.redact(url));
        assertEquals("?sig=" + M, Redactor.redact("?sig=xyz+/=="));
        assertEquals("token sig=" + M + " expired", Redactor.redact("token sig=xyz expired"));
        assertEquals("SIG=" + M, Redactor.redact("SIG=abc"), "case-insensitive");
    }

    @Test
    void accountKeyInAConnectionStringIsMasked() {
        String cs = "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=q1w2+e3r/T5y6==;EndpointSuffix=core.windows.net";
        assertEquals("DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" + M
                + ";EndpointSuffix=core.windows.net", Redactor.redact(cs));
        assertEquals("accountkey = " + M + ";", Redactor.redact("accountkey = abc/def+==;"));
        String sasCs = "BlobEndpoint=https://acct.blob.core.windows.net/;SharedAccessSignature=sv=2025-01-05&sig=s3cr3t";
        String out = Redactor.redact(sasCs);
        assertFalse(out.contains("s3cr3t"), out);
        assertTrue(out.startsWith("BlobEndpoint=https://acct.blob.core.windows.net/;SharedAccessSignature=" + M), out);
    }

    @Test
    void bearerAndSharedKeyAuthorizationsAreMasked() {
        String jwt = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJzdG9yYWdlIn0.c2lnbmF0dXJlLXBhcnQ_-";
        assertEquals("Authorization: Bearer " + M, Redactor.redact("Authorization: Bearer " + jwt));
        assertEquals("Authorization: SharedKey " + M + " (rejected)",
                Redactor.redact("Authorization: SharedKey devstoreaccount1:q1w2e3r4t5y6/+= (rejected)"));
    }

    @Test
    void jsonWebTokensAreMaskedWhereverTheyAppear() {
        String jwt = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJzdG9yYWdlIn0.c2lnbmF0dXJlLXBhcnQ_-";
        assertEquals("federated token " + M + " rotated", Redactor.redact("federated token " + jwt + " rotated"));
        assertEquals("[" + M + "]", Redactor.redact("[" + jwt + "]"));
        assertEquals("unsigned " + M, Redactor.redact("unsigned eyJhbGciOiJub25lIn0.eyJhdWQiOiJ4In0."));
    }

    @Test
    void identityAuthorizationsAndHeadersAreMasked() {
        assertEquals("Authorization: Basic " + M, Redactor.redact("Authorization: Basic arc-5f0c0a43-key-content"));
        assertEquals("X-IDENTITY-HEADER: " + M, Redactor.redact("X-IDENTITY-HEADER: 6c5a1f5e-8a8b-4c1d"));
        assertEquals("IDENTITY_HEADER=" + M, Redactor.redact("IDENTITY_HEADER=6c5a1f5e-8a8b-4c1d"));
        assertEquals("{\"client_assertion\":\"" + M + "\"}", Redactor.redact("{\"client_assertion\":\"abcdefgh12\"}"));
    }

    @Test
    void wordsAboutCredentialsAreNotMasked() {
        for (String plain : List.of("MANAGED_IDENTITY authenticates with bearer tokens, which Azure Storage accepts",
                "Bearer tokens travel only over TLS", "basic checks passed", "secret file /etc/x.key is accessible",
                "spec.authentication.secretFile media.key holds no secret", "sig is short")) {
            assertEquals(plain, Redactor.redact(plain));
        }
    }

    @Test
    void tokenFieldsAreMaskedInFormAndJsonBodies() {
        assertEquals("access_token=" + M + "&expires_in=3599",
                Redactor.redact("access_token=eyJhbc.def.ghi&expires_in=3599"));
        String json = "{\"token_type\":\"Bearer\",\"access_token\":\"eyJhbc.def.ghi\",\"client_secret\": \"p@ss\"}";
        String out = Redactor.redact(json);
        assertFalse(out.contains("eyJhbc.def.ghi"), out);
        assertFalse(out.contains("p@ss"), out);
    }

    @Test
    void registeredLiteralsAreMaskedEverywhere() {
        String secret = "lit-" + UUID.randomUUID();
        assertEquals("key is " + secret, Redactor.redact("key is " + secret));
        Redactor.register(secret);
        assertEquals("key is " + M + ", again " + M, Redactor.redact("key is " + secret + ", again " + secret));
        assertEquals(M, Redactor.redact(secret));
    }

    @Test
    void shortOrBlankLiteralsAreNotRegistered() {
        Redactor.register("abc");
        Redactor.register("       ");
        Redactor.register(null);
        assertEquals("abc def", Redactor.redact("abc def"), "a short literal would mask innocent text");
    }

    @Test
    void credentialsRegisterTheirSecrets() {
        String key = "k" + UUID.randomUUID().toString().replace("-", "") + "==";
        AzureCredential.AccountKey ak = new AzureCredential.AccountKey("acct", key);
        assertFalse(ak.toString().contains(key), ak.toString());
        assertEquals("saw " + M, Redactor.redact("saw " + key));

        String token = "sv=2025-01-05&sp=rl&sig=" + UUID.randomUUID();
        AzureCredential.Sas sas = new AzureCredential.Sas("?" + token);
        assertEquals(token, sas.token(), "leading ? dropped");
        assertFalse(sas.toString().contains(token), sas.toString());
        assertEquals("url?" + M, Redactor.redact("url?" + token));

        String csKey = "c" + UUID.randomUUID().toString().replace("-", "");
        AzureCredential.ConnectionString cs = new AzureCredential.ConnectionString(
                "AccountName=acct;AccountKey=" + csKey + ";EndpointSuffix=core.windows.net");
        assertFalse(cs.toString().contains(csKey), cs.toString());
        assertEquals("raw " + M, Redactor.redact("raw " + csKey), "the key alone is masked too");
    }

    @Test
    void originExceptionMessagesAreRedacted() {
        OriginException e = new OriginException.Failed(
                "GET https://a.blob.core.windows.net/c?restype=container&sig=topsecret failed", null);
        assertFalse(e.getMessage().contains("topsecret"), e.getMessage());
    }
}
