package io.cloudmirror.origin;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * How long a throttled or busy service asked us to wait ({@code Retry-After} on a 429 or 5xx answer), bounded so
 * that one answer can never hold a request for longer than a try may last. Stateless.
 */
final class RetryAfter {

    /** The longest wait one {@code Retry-After} can impose before a retry (a sync backs off on its own after). */
    static final Duration MAX = Duration.ofSeconds(5);

    private RetryAfter() {
    }

    /**
     * The wait {@code value} asks for, at most {@link #MAX}; zero when absent or unreadable.
     *
     * @param value the header: delta-seconds, or an HTTP date
     */
    static Duration of(String value) {
        if (value == null || value.isBlank()) {
            return Duration.ZERO;
        }
        String v = value.strip();
        Duration d;
        try {
            d = Duration.ofSeconds(Long.parseLong(v));
        } catch (NumberFormatException notSeconds) {
            try {
                d = Duration.between(ZonedDateTime.now(), ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME));
            } catch (DateTimeParseException notADate) {
                return Duration.ZERO;
            }
        }
        if (d.isNegative()) {
            return Duration.ZERO;
        }
        return d.compareTo(MAX) > 0 ? MAX : d;
    }

    /** Whether an answer with this status may carry a {@code Retry-After} worth honouring. */
    static boolean applies(int status) {
        return status == 429 || status == 503 || status == 500;
    }
}
