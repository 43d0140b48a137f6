package io.cloudmirror.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cloudmirror.control.ControlProtocol.Request;
import io.cloudmirror.control.ControlProtocol.Response;
import io.cloudmirror.control.ControlProtocol.SubvolumeState;
import io.cloudmirror.control.ControlProtocol.SyncResult;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The wire format: what the protocol documentation promises, byte for byte where it matters. */
class ControlProtocolTest {

    @Test
    void requestsAreOneLineWithTheDocumentedFieldNames() {
        assertEquals("{\"command\":\"sync\",\"subvolumes\":[\"media\"],\"wait\":false}",
                ControlProtocol.write(Request.sync(List.of("media"), false)));
        assertEquals("{\"command\":\"status\"}", ControlProtocol.write(Request.status(null, true)));
        assertEquals("{\"command\":\"status\",\"probe\":false}", ControlProtocol.write(Request.status(null, false)));
        Request r = ControlProtocol.read("{\"command\":\"sync\",\"wait\":false,\"future\":{\"x\":1}}", Request.class);
        assertEquals("sync", r.command());
        assertFalse(r.waits());
        assertTrue(r.probes());
        assertNull(r.subvolumes());
        assertTrue(ControlProtocol.read("{\"command\":\"sync\"}", Request.class).waits(), "waiting is the default");
    }

    @Test
    void responsesRoundTripAndSkipUnsetFields() {
        SubvolumeState s = new SubvolumeState("media", "/data", "/data/mirrorSubDir", "Connected", "",
                "2026-03-10T10:15:00Z", "2026-03-10T10:15:00Z", null, "2026-03-10T11:00:00Z", "schedule", false, "idle",
                "@hourly", 3, 1200, 5_000_000, 0, 2, Map.of("dot_component", 2L), "", "",
                "/var/cache/cloudmirror/media");
        Response status = Response.status(new ControlProtocol.DaemonInfo(42, "/data", "/etc/m.yaml", "1", "t", null),
                List.of(s));
        String line = ControlProtocol.write(status);
        assertFalse(line.contains("\n"), "one line");
        assertFalse(line.contains("\"results\""), "unset fields are left out");
        assertFalse(line.contains("\"lastAttempt\""));
        Response back = ControlProtocol.read(line, Response.class);
        assertEquals(status, back);

        Response result = Response.result(List.of(new SyncResult("media", false, 0, 0, 0, 0, 0, 0, 12, "HTTP 403")));
        assertEquals(result, ControlProtocol.read(ControlProtocol.write(result), Response.class));
        assertTrue(ControlProtocol.write(Response.error("x")).startsWith("{\"type\":\"error\",\"protocol\":1,"));
    }

    @Test
    void manifestRequestAndBatchesRoundTrip() {
        assertEquals("{\"command\":\"manifest\",\"subvolumes\":[\"media\"]}",
                ControlProtocol.write(Request.manifest("media")));
        Response batch = Response.manifest(7, List.of(
                new ControlProtocol.ManifestEntry("", true, 0, 1_000, null, null, null),
                new ControlProtocol.ManifestEntry("a/b.bin", false, 5, 2_000, "\"0x1\"",
                        "5d41402abc4b2a76b9719d911017c592", Map.of("tier", "hot"))));
        String line = ControlProtocol.write(batch);
        assertTrue(line.startsWith("{\"type\":\"manifest\",\"protocol\":1,\"generation\":7,\"entries\":["), line);
        assertEquals(batch, ControlProtocol.read(line, Response.class));
        assertEquals(Response.end(7), ControlProtocol.read(ControlProtocol.write(Response.end(7)), Response.class));
    }

    @Test
    void garbageIsRefusedWithAReason() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ControlProtocol.read("{\"command\": ", Request.class));
        assertTrue(e.getMessage().startsWith("not a valid Request: "), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ControlProtocol.read("null", Request.class));
    }
}
