package io.cloudmirror.origin;

import java.util.Objects;

/**
 * The outcome of {@link BlobOrigin#probe()}.
 *
 * @param connection what the probe found
 * @param detail     a redacted, human-readable reason; empty when connected
 */
public record Probe(BackendConnection connection, String detail) {

    public Probe {
        Objects.requireNonNull(connection, "connection");
        detail = detail == null ? "" : detail;
    }

    /** A successful probe. */
    public static Probe connected() {
        return new Probe(BackendConnection.CONNECTED, "");
    }

    /** The probe result that an origin failure implies. */
    public static Probe of(OriginException e) {
        return new Probe(e.connection(), e.getMessage());
    }
}
