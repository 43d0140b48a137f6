package io.cloudmirror.sync;

import java.time.Duration;
import java.util.Objects;

/**
 * How long to wait before retrying a failed sync: {@code initial} after the first failure, multiplied by
 * {@code factor} after each further one, never more than {@code max}. Immutable.
 *
 * @param initial the first delay
 * @param max     the longest delay
 * @param factor  growth per consecutive failure
 */
public record Backoff(Duration initial, Duration max, double factor) {

    /** 30 s, doubling, up to 30 min. */
    public static final Backoff DEFAULT = new Backoff(Duration.ofSeconds(30), Duration.ofMinutes(30), 2.0);

    public Backoff {
        Objects.requireNonNull(initial, "initial");
        Objects.requireNonNull(max, "max");
        if (initial.isNegative() || max.compareTo(initial) < 0 || factor < 1) {
            throw new IllegalArgumentException("invalid backoff " + initial + ".." + max + " x" + factor);
        }
    }

    /** The delay after {@code failures} consecutive failures (1 for the first). */
    public Duration delay(int failures) {
        double millis = initial.toMillis() * Math.pow(factor, Math.max(0, failures - 1));
        return millis >= max.toMillis() ? max : Duration.ofMillis((long) millis);
    }
}
