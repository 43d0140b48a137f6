package io.cloudmirror.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A burst of pokes runs the action once, a quiet period after the last poke. */
class DebouncerTest {

    private static final Instant T0 = Instant.parse("2026-03-10T10:15:00Z");

    @Test
    void aBurstRunsOnceAfterTheLastPoke() {
        ManualTimer timer = new ManualTimer(T0);
        List<Instant> runs = new ArrayList<>();
        Debouncer d = new Debouncer(timer, Duration.ofMillis(300), () -> runs.add(timer.now()));
        d.poke();
        timer.advanceTo(T0.plusMillis(200));
        d.poke();
        timer.advanceTo(T0.plusMillis(400));
        d.poke();
        timer.advanceTo(T0.plusMillis(699));
        assertEquals(List.of(), runs, "still within the quiet period of the last poke");
        timer.advanceTo(T0.plusMillis(700));
        assertEquals(List.of(T0.plusMillis(700)), runs);
        timer.advanceTo(T0.plusSeconds(10));
        assertEquals(1, runs.size(), "one run per burst");

        d.poke();
        timer.advanceTo(T0.plusSeconds(11));
        assertEquals(2, runs.size(), "a later burst runs again");
    }

    @Test
    void closedRunsNothing() {
        ManualTimer timer = new ManualTimer(T0);
        List<Instant> runs = new ArrayList<>();
        Debouncer d = new Debouncer(timer, Duration.ofMillis(300), () -> runs.add(timer.now()));
        d.poke();
        d.close();
        d.poke();
        timer.advanceTo(T0.plusSeconds(1));
        assertEquals(List.of(), runs);
    }
}
