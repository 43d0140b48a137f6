package io.cloudmirror.origin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

class SharedTokenTest {

    private final TokenRequestContext request = new TokenRequestContext().addScopes("https://storage.azure.com/.default");
    private Instant now = Instant.parse("2026-01-01T00:00:00Z");
    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Instant instant() {
            return now;
        }
    };
    private final AtomicInteger fetches = new AtomicInteger();
    private final AtomicBoolean refuse = new AtomicBoolean();
    private Duration lifetime = Duration.ofHours(1);
    private final TokenCredential endpoint = r -> {
        int n = fetches.incrementAndGet();
        if (refuse.get()) {
            return Mono.error(new IllegalStateException("identity endpoint refused"));
        }
        return Mono.just(new AccessToken("token-" + n, OffsetDateTime.ofInstant(now.plus(lifetime), ZoneOffset.UTC)));
    };
    private final SharedToken shared = new SharedToken(endpoint, clock);

    private String token() {
        return shared.getToken(request).block().getToken();
    }

    @Test
    void oneFetchPerTokenLifetimeRenewedFiveMinutesAhead() {
        assertEquals("token-1", token());
        now = now.plus(Duration.ofMinutes(54));
        assertEquals("token-1", token());
        assertEquals(1, fetches.get());
        now = now.plus(Duration.ofMinutes(2));
        assertEquals("token-2", token(), "renewed with less than five minutes left");
        assertEquals("token-2", token());
        assertEquals(2, fetches.get());
    }

    @Test
    void shortLivedTokensAreRenewedAtMostEveryThirtySeconds() {
        lifetime = Duration.ofSeconds(40);
        assertEquals("token-1", token());
        now = now.plusSeconds(20);
        assertEquals("token-1", token());
        now = now.plusSeconds(11);
        assertEquals("token-2", token());
        assertEquals(2, fetches.get());
    }

    @Test
    void aFailedRenewalKeepsUsingTheValidTokenUntilItExpires() {
        AccessToken first = shared.getToken(request).block();
        refuse.set(true);
        now = now.plus(Duration.ofMinutes(57));
        assertSame(first, shared.getToken(request).block(), "still valid for three minutes");
        now = now.plus(Duration.ofMinutes(4));
        assertThrows(IllegalStateException.class, this::token, "expired and the endpoint refuses");
        int asked = fetches.get();
        assertThrows(IllegalStateException.class, this::token);
        assertEquals(asked + 1, fetches.get(), "a failure is not remembered: the next request asks again");
        refuse.set(false);
        assertEquals("token-" + (asked + 2), token(), "recovers as soon as the endpoint answers");
    }
}
