package io.cloudmirror.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cloudmirror.control.ControlProtocol.SubvolumeState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The status table and the human units in it. */
class StatusTableTest {

    private static final Instant NOW = Instant.parse("2026-03-10T10:15:00Z");

    private static SubvolumeState state(String name, String conn, String detail, String lastSync, String nextSync,
                                        String reason, boolean syncing, long blobs, long bytes, long skipped,
                                        String error, String issue) {
        return new SubvolumeState(name, "/data", "/data/" + name, conn, detail, null, lastSync, null, nextSync, reason,
                syncing, syncing ? "listing" : "idle", "@hourly", 1, blobs, bytes, 0, skipped, Map.of(), error, issue,
                "/var/cache/cloudmirror/" + name);
    }

    @Test
    void alignsColumnsLikeKubectl() {
        String table = StatusTable.format(List.of(
                state("media", "Connected", "", "2026-03-10T10:10:48Z", "2026-03-10T11:00:00Z", "schedule", false,
                        20_000, 1_610_612_736L, 0, "", ""),
                state("models-eu", "Disconnected", "probing acct/models: connection refused", "2026-03-08T09:00:00Z",
                        "2026-03-10T10:15:30Z", "retry", false, 12, 2048, 3, "", ""),
                state("x", "Unauthorized", "", null, null, null, true, 0, 0, 0,
                        "listing acct/x: HTTP 403 AuthenticationFailed", "needs remount: spec.path changed")), NOW);
        assertEquals("""
                NAME        BACKENDCONNECTION   LASTSYNC    NEXTSYNC         BLOBS    BYTES   CACHED   SKIPPED   LASTERROR
                media       Connected           4m12s ago   in 45m           20,000   1.5Gi   0        0         <none>
                models-eu   Disconnected        2d1h ago    in 30s (retry)   12       2Ki     0        3         probing acct/models: connection refused
                x           Unauthorized        never       syncing          0        0       0        0         listing acct/x: HTTP 403 AuthenticationFailed; needs remount: spec.path changed
                """, table);
    }

    @Test
    void humanSizesRoundDownInBinaryUnits() {
        assertEquals("0", Human.bytes(0));
        assertEquals("1023", Human.bytes(1023));
        assertEquals("1Ki", Human.bytes(1024));
        assertEquals("1.4Ki", Human.bytes(1500));
        assertEquals("9.9Mi", Human.bytes((10L << 20) - 1));
        assertEquals("10Mi", Human.bytes(10L << 20));
        assertEquals("1023Gi", Human.bytes((1L << 40) - 1));
        assertEquals("50Gi", Human.bytes(50L << 30));
        assertEquals("12,345", Human.count(12_345));
    }

    @Test
    void humanDurationsAsKubectlAges() {
        assertEquals("0s", Human.duration(Duration.ofMillis(-5)));
        assertEquals("45s", Human.duration(Duration.ofSeconds(45)));
        assertEquals("119s", Human.duration(Duration.ofSeconds(119)));
        assertEquals("4m12s", Human.duration(Duration.ofSeconds(252)));
        assertEquals("5m", Human.duration(Duration.ofMinutes(5)));
        assertEquals("47m", Human.duration(Duration.ofMinutes(47)));
        assertEquals("3h12m", Human.duration(Duration.ofMinutes(192)));
        assertEquals("26h", Human.duration(Duration.ofHours(26)));
        assertEquals("3d4h", Human.duration(Duration.ofHours(76)));
        assertEquals("45d", Human.duration(Duration.ofDays(45)));
        assertEquals("3y", Human.duration(Duration.ofDays(365 * 3 + 10)));
    }
}
