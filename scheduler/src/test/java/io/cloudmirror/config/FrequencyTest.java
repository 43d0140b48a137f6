package io.cloudmirror.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.DayOfWeek;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class FrequencyTest {

    /** Saturday 15 March 2025, 10:20:30 UTC. */
    private static final ZonedDateTime T = utc(2025, 3, 15, 10, 20, 30);

    private static ZonedDateTime utc(int y, int mo, int d, int h, int mi, int s) {
        return ZonedDateTime.of(y, mo, d, h, mi, s, 0, ZoneOffset.UTC);
    }

    private static ZonedDateTime utc(int y, int mo, int d, int h, int mi) {
        return utc(y, mo, d, h, mi, 0);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "@annually, 2026-01-01T00:00Z, 2025-01-01T00:00Z",
            "@yearly,   2026-01-01T00:00Z, 2025-01-01T00:00Z",
            "@monthly,  2025-04-01T00:00Z, 2025-03-01T00:00Z",
            "@weekly,   2025-03-16T00:00Z, 2025-03-09T00:00Z",
            "@daily,    2025-03-16T00:00Z, 2025-03-15T00:00Z",
            "@hourly,   2025-03-15T11:00Z, 2025-03-15T10:00Z",
    })
    void nicknames(String nickname, String next, String last) {
        Frequency f = Frequency.parse(nickname);
        assertFalse(f.isNever());
        assertEquals(nickname, f.expression());
        assertEquals(Optional.of(ZonedDateTime.parse(next)), f.nextAfter(T));
        assertEquals(Optional.of(ZonedDateTime.parse(last)), f.lastBefore(T));
    }

    @Test
    void weeklyFallsOnSundayAtMidnight() {
        ZonedDateTime next = Frequency.parse("@weekly").nextAfter(T).orElseThrow();
        assertEquals(DayOfWeek.SUNDAY, next.getDayOfWeek());
        assertEquals(0, next.getHour());
    }

    @Test
    void nextIsStrictlyAfterAndLastStrictlyBefore() {
        Frequency hourly = Frequency.parse("@hourly");
        ZonedDateTime onTheHour = utc(2025, 3, 15, 10, 0);
        assertEquals(utc(2025, 3, 15, 11, 0), hourly.nextAfter(onTheHour).orElseThrow());
        assertEquals(utc(2025, 3, 15, 9, 0), hourly.lastBefore(onTheHour).orElseThrow());
        Frequency yearly = Frequency.parse("@yearly");
        assertEquals(utc(2026, 1, 1, 0, 0), yearly.nextAfter(utc(2025, 1, 1, 0, 0)).orElseThrow());
    }

    @ParameterizedTest
    @ValueSource(strings = {"never", "NEVER", "Never", "  never  "})
    void never(String text) {
        Frequency f = Frequency.parse(text);
        assertTrue(f.isNever());
        assertEquals("never", f.expression());
        assertEquals("never", f.toString());
        assertEquals(Optional.empty(), f.nextAfter(T));
        assertEquals(Optional.empty(), f.lastBefore(T));
    }

    @Test
    void weekdaysAtHalfPastTwo() {
        Frequency f = Frequency.parse("30 2 * * 1-5");
        assertEquals(utc(2025, 3, 17, 2, 30), f.nextAfter(T).orElseThrow(), "Saturday -> Monday");
        assertEquals(utc(2025, 3, 14, 2, 30), f.lastBefore(T).orElseThrow(), "Saturday -> the Friday before");
        assertEquals(utc(2025, 3, 18, 2, 30), f.nextAfter(utc(2025, 3, 17, 2, 30)).orElseThrow());
        assertEquals(utc(2025, 3, 17, 2, 30), f.nextAfter(utc(2025, 3, 17, 2, 29, 59)).orElseThrow());
        assertEquals(utc(2025, 3, 24, 2, 30), f.nextAfter(utc(2025, 3, 21, 2, 30)).orElseThrow(), "Friday -> Monday");
    }

    @Test
    void everyQuarterHour() {
        Frequency f = Frequency.parse("*/15 * * * *");
        assertEquals(utc(2025, 3, 15, 10, 30), f.nextAfter(T).orElseThrow());
        assertEquals(utc(2025, 3, 15, 10, 15), f.lastBefore(T).orElseThrow());
        assertEquals(utc(2025, 3, 16, 0, 0), f.nextAfter(utc(2025, 3, 15, 23, 45)).orElseThrow(), "across midnight");
        assertEquals(utc(2026, 1, 1, 0, 0), f.nextAfter(utc(2025, 12, 31, 23, 50)).orElseThrow(), "across the year");
    }

    @Test
    void listsRangesAndSteps() {
        assertEquals(utc(2025, 3, 15, 11, 1), Frequency.parse("1,2,3 * * * *").nextAfter(T).orElseThrow());
        assertEquals(utc(2025, 3, 15, 10, 30), Frequency.parse("0-59/10 * * * *").nextAfter(T).orElseThrow());
        assertEquals(utc(2025, 3, 15, 12, 0), Frequency.parse("0 9-17/3,18 * * *").nextAfter(T).orElseThrow());
        assertEquals(utc(2025, 6, 1, 0, 0), Frequency.parse("0 0 1 6 *").nextAfter(T).orElseThrow());
    }

    @Test
    void dayOfWeekZeroAndSevenAreBothSunday() {
        Frequency zero = Frequency.parse("0 0 * * 0");
        Frequency seven = Frequency.parse("0 0 * * 7");
        for (Frequency f : new Frequency[] {zero, seven}) {
            ZonedDateTime next = f.nextAfter(T).orElseThrow();
            assertEquals(utc(2025, 3, 16, 0, 0), next, f.toString());
            assertEquals(DayOfWeek.SUNDAY, next.getDayOfWeek());
            assertEquals(utc(2025, 3, 23, 0, 0), f.nextAfter(next).orElseThrow(), f.toString());
            assertEquals(utc(2025, 3, 9, 0, 0), f.lastBefore(T).orElseThrow(), f.toString());
        }
        // 1 is Monday, 6 Saturday.
        assertEquals(DayOfWeek.MONDAY, Frequency.parse("0 0 * * 1").nextAfter(T).orElseThrow().getDayOfWeek());
        assertEquals(utc(2025, 3, 22, 0, 0), Frequency.parse("0 0 * * 6").nextAfter(T).orElseThrow());
        // A range ending at 7 includes Sunday.
        Frequency weekend = Frequency.parse("0 12 * * 6-7");
        assertEquals(utc(2025, 3, 15, 12, 0), weekend.nextAfter(T).orElseThrow());
        assertEquals(utc(2025, 3, 16, 12, 0), weekend.nextAfter(utc(2025, 3, 15, 12, 0)).orElseThrow());
        assertEquals(utc(2025, 3, 22, 12, 0), weekend.nextAfter(utc(2025, 3, 16, 12, 0)).orElseThrow());
    }

    @Test
    void dayOfMonthAndDayOfWeekBothSetMeanEither() {
        // As in crontab(5): the 16th OR any Friday.
        Frequency f = Frequency.parse("0 0 16 * 5");
        assertEquals(utc(2025, 3, 16, 0, 0), f.nextAfter(T).orElseThrow(), "Sunday the 16th");
        assertEquals(utc(2025, 3, 14, 0, 0), f.lastBefore(T).orElseThrow(), "Friday the 14th");
        assertEquals(utc(2025, 3, 21, 0, 0), f.nextAfter(utc(2025, 3, 16, 0, 0)).orElseThrow());
    }

    @Test
    void leapDay() {
        Frequency f = Frequency.parse("0 0 29 2 *");
        assertEquals(utc(2028, 2, 29, 0, 0), f.nextAfter(T).orElseThrow());
        assertEquals(utc(2024, 2, 29, 0, 0), f.lastBefore(T).orElseThrow());
    }

    @Test
    void timesAreInUtcWhateverTheCallersZone() {
        ZonedDateTime newYork = ZonedDateTime.of(2025, 3, 15, 12, 20, 30, 0, ZoneId.of("America/New_York"));
        ZonedDateTime next = Frequency.parse("@daily").nextAfter(newYork).orElseThrow();
        assertEquals(utc(2025, 3, 16, 0, 0), next, "midnight UTC, not midnight in New York");
        assertEquals(ZoneOffset.UTC, next.getZone());
        assertEquals(utc(2025, 3, 15, 17, 0), Frequency.parse("@hourly").nextAfter(newYork).orElseThrow());
    }

    @Test
    void expressionIsKeptStrippedAndDefinesEquality() {
        Frequency f = Frequency.parse("  30 2 * * *  ");
        assertEquals("30 2 * * *", f.expression());
        assertEquals("30 2 * * *", f.toString());
        assertEquals(Frequency.parse("30 2 * * *"), f);
        assertEquals(Frequency.parse("30 2 * * *").hashCode(), f.hashCode());
        assertNotEquals(Frequency.parse("@daily"), f);
        assertEquals(Frequency.parse("never"), Frequency.parse("NEVER"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"61 * * * *", "* * *", "@reboot", "@every 5m", "0 0 * * 8", "0 24 * * *", "0 0 0 * *",
            "0 0 * 13 *", "*/0 * * * *", "5-1 * * * *", "a * * * *", "? * * * *", "L * * * *", "0 0 L * *",
            "0 0 * * 1#2", "0 0 1W * *", "0 30 2 * * *", "0 30 2 * * * 2025", "@hourly x", "hourly", "daily"})
    void invalidExpressionsNameTheExpressionAndTheRule(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Frequency.parse(text));
        assertTrue(e.getMessage().contains("\"" + text + "\""), e.getMessage());
        assertTrue(e.getMessage().contains("expected \"never\", one of @annually @yearly @monthly @weekly @daily @hourly, "
                + "or 5-field cron \"minute hour day-of-month month day-of-week\""), e.getMessage());
    }

    @Test
    void wrongFieldCountsSayHowManyFields() {
        assertTrue(Frequency.parse("@daily").toString().equals("@daily"));
        assertMessage("* * *", "\"* * *\" has 3 fields; expected");
        assertMessage("0 30 2 * * *", "\"0 30 2 * * *\" has 6 fields; expected");
        assertMessage("61 * * * *", "\"61 * * * *\" is not a valid schedule", "61", "expected");
        assertMessage("@reboot", "\"@reboot\" is not a valid schedule", "expected");
    }

    @Test
    void emptyExpression() {
        assertMessage("", "empty frequency; expected \"never\"");
        assertMessage("   ", "empty frequency; expected \"never\"");
        assertMessage(null, "empty frequency; expected \"never\"");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0 0 30 2 *", "0 0 31 4 *", "0 0 31 2,4,6,9,11 *"})
    void expressionsThatNeverFireAreRejected(String text) {
        assertMessage(text, "\"" + text + "\" never fires", "write \"never\"", "expected \"never\"");
    }

    private static void assertMessage(String text, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Frequency.parse(text));
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), () -> "expected \"" + f + "\" in: " + e.getMessage());
        }
    }
}
