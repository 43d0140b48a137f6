package io.cloudmirror.origin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.api.Test;

class RetryAfterTest {

    @Test
    void secondsAreTakenUpToTheBound() {
        assertEquals(Duration.ofSeconds(2), RetryAfter.of("2"));
        assertEquals(Duration.ofSeconds(2), RetryAfter.of(" 2 "));
        assertEquals(RetryAfter.MAX, RetryAfter.of("3600"));
        assertEquals(Duration.ZERO, RetryAfter.of("0"));
    }

    @Test
    void anHttpDateIsTheTimeUntilThen() {
        String in3 = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(4));
        Duration d = RetryAfter.of(in3);
        assertTrue(d.compareTo(Duration.ofSeconds(2)) >= 0 && d.compareTo(RetryAfter.MAX) <= 0, d.toString());
        String past = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC).minusDays(1));
        assertEquals(Duration.ZERO, RetryAfter.of(past));
    }

    @Test
    void absentNegativeOrGarbageMeansNoWait() {
        assertEquals(Duration.ZERO, RetryAfter.of(null));
        assertEquals(Duration.ZERO, RetryAfter.of(""));
        assertEquals(Duration.ZERO, RetryAfter.of("-5"));
        assertEquals(Duration.ZERO, RetryAfter.of("soon"));
        assertEquals(Duration.ZERO, RetryAfter.of("99999999999999999999999"));
    }

    @Test
    void onlyThrottlingAndServerErrorsCount() {
        assertTrue(RetryAfter.applies(429) && RetryAfter.applies(503) && RetryAfter.applies(500));
        assertTrue(!RetryAfter.applies(404) && !RetryAfter.applies(412) && !RetryAfter.applies(200));
    }
}
