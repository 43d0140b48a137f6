package io.cloudmirror.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class MountOptionsReadTimeoutTest {

    @Test
    void readTimeoutDefaultsToTenSecondsAndTakesFractions() {
        assertEquals(Duration.ofSeconds(10), MountOptions.parse(List.of(), 0, 0).readTimeoutDuration());
        assertEquals(Duration.ofMillis(2500),
                MountOptions.parse(List.of("allow_other,read_timeout=2.5"), 0, 0).readTimeoutDuration());
        assertTrue(MountOptions.parse(List.of("read_timeout=3"), 0, 0).fuseArguments("x").get(1)
                .indexOf("read_timeout") < 0, "cloudmirror's own option is not passed to libfuse");
    }

    @Test
    void aBadReadTimeoutIsRefusedWithTheRange() {
        for (String bad : List.of("read_timeout=0", "read_timeout=-1", "read_timeout=abc", "read_timeout=7200",
                "read_timeout")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> MountOptions.parse(List.of(bad), 0, 0), bad);
            assertTrue(e.getMessage().contains("read_timeout"), e.getMessage());
        }
    }
}
