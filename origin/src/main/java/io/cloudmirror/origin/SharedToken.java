package io.cloudmirror.origin;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import reactor.core.publisher.Mono;

/**
 * One token for everything that talks to Azure Storage with an identity: the SDK's requests and the data
 * path's reads present the same token, and the token endpoint is asked once per token lifetime rather
 * than once per client. A token is renewed when it has less than five minutes left, but at most every 30
 * seconds while it is still valid (so short-lived tokens do not cost a fetch per request). If a renewal
 * fails while the current token is still valid, the current token is used until it expires (a hiccup of
 * the token endpoint costs no reads). A failed fetch is not remembered: the next request asks again, so a
 * revoked identity fails as soon as its last token expires and a restored one recovers at once.
 *
 * <p>Thread-safe; two requests racing at renewal may both fetch, which is harmless.
 */
final class SharedToken implements TokenCredential {

    private static final Duration RENEW_BEFORE_EXPIRY = Duration.ofMinutes(5);
    private static final Duration MIN_RENEW_INTERVAL = Duration.ofSeconds(30);

    private final TokenCredential delegate;
    private final Clock clock;
    private volatile AccessToken token;
    private volatile OffsetDateTime fetchedAt = OffsetDateTime.MIN;

    SharedToken(TokenCredential delegate) {
        this(delegate, Clock.systemUTC());
    }

    SharedToken(TokenCredential delegate, Clock clock) {
        this.delegate = delegate;
        this.clock = clock;
    }

    @Override
    public Mono<AccessToken> getToken(TokenRequestContext request) {
        AccessToken current = token;
        OffsetDateTime now = OffsetDateTime.now(clock);
        boolean valid = current != null && current.getExpiresAt().isAfter(now);
        if (valid) {
            boolean fresh = current.getExpiresAt().isAfter(now.plus(RENEW_BEFORE_EXPIRY));
            boolean recentlyFetched = fetchedAt.isAfter(now.minus(MIN_RENEW_INTERVAL));
            if (fresh || recentlyFetched) {
                return Mono.just(current);
            }
        }
        Mono<AccessToken> fetch = delegate.getToken(request).doOnNext(fetched -> {
            token = fetched;
            fetchedAt = OffsetDateTime.now(clock);
        });
        if (!valid) {
            return fetch;
        }
        return fetch.onErrorResume(e -> current.getExpiresAt().isAfter(OffsetDateTime.now(clock))
                ? Mono.just(current) : Mono.error(e));
    }
}
