package io.cloudmirror.clone;

import java.io.IOException;

/** A clone refused before anything was written, or a file that could not be copied; the message says why. */
public final class CloneException extends IOException {
    private static final long serialVersionUID = 1L;

    public CloneException(String message) {
        super(message);
    }
}
