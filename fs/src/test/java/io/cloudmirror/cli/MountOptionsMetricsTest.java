package io.cloudmirror.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cloudmirror.metrics.MetricsEndpoint;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The metrics mount options: off by default, loopback unless explicitly opened. */
class MountOptionsMetricsTest {

    private static MountOptions parse(String... o) {
        return MountOptions.parse(List.of(o), 0, 0);
    }

    @Test
    void metricsAreOptIn() {
        assertNull(parse("allow_other").metrics());
        assertEquals(new MetricsEndpoint.Address("127.0.0.1", 9464), parse("allow_other,metrics").metrics());
        assertEquals(new MetricsEndpoint.Address("127.0.0.1", 9100), parse("metrics=127.0.0.1:9100").metrics());
        assertEquals(new MetricsEndpoint.Address("0.0.0.0", 9100), parse("metrics_bind_any,metrics=0.0.0.0:9100").metrics(),
                "order does not matter");
        assertTrue(parse("metrics=9100").fuseArguments("x").get(1).indexOf("metrics") < 0, "not passed to libfuse");
    }

    @Test
    void openBindsNeedTheExplicitOption() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse("metrics=0.0.0.0:9100"));
        assertTrue(e.getMessage().contains("metrics_bind_any"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> parse("metrics_bind_any"));
        assertEquals("mount option \"metrics_bind_any\" needs metrics=HOST:PORT too", e.getMessage());
    }
}
