package io.cloudmirror.origin;

/** The state of the link to the origin, as {@code cloudmirror status} shows it in BACKENDCONNECTION. */
public enum BackendConnection {
    CONNECTED("Connected"),
    DISCONNECTED("Disconnected"),
    UNAUTHORIZED("Unauthorized"),
    NOT_FOUND("NotFound");

    private final String display;

    BackendConnection(String display) {
        this.display = display;
    }

    /** The spelling status output uses, e.g. {@code NotFound}. */
    public String display() {
        return display;
    }
}
