package io.cloudmirror.origin;

import java.io.IOException;

/**
 * Every way a {@link BlobOrigin} call can fail. Callers switch over the permitted kinds; the message
 * is already redacted and names what failed, never a secret.
 */
public abstract sealed class OriginException extends IOException
        permits OriginException.Denied, OriginException.ContainerMissing, OriginException.VersionGone,
        OriginException.Unreachable, OriginException.Failed {

    private OriginException(String message, Throwable cause) {
        super(Redactor.redact(message), cause);
    }

    /** The backend connection state this failure implies. */
    public abstract BackendConnection connection();

    /** Credentials missing, wrong, expired, or lacking a permission (HTTP 401/403). */
    public static final class Denied extends OriginException {
        public Denied(String message, Throwable cause) {
            super(message, cause);
        }

        @Override
        public BackendConnection connection() {
            return BackendConnection.UNAUTHORIZED;
        }
    }

    /** The account or container does not exist. */
    public static final class ContainerMissing extends OriginException {
        public ContainerMissing(String message, Throwable cause) {
            super(message, cause);
        }

        @Override
        public BackendConnection connection() {
            return BackendConnection.NOT_FOUND;
        }
    }

    /** The blob version a read was pinned to is gone: overwritten (ETag changed) or deleted. */
    public static final class VersionGone extends OriginException {
        public VersionGone(String message, Throwable cause) {
            super(message, cause);
        }

        @Override
        public BackendConnection connection() {
            return BackendConnection.CONNECTED;
        }
    }

    /** The origin could not be reached, timed out, or kept failing with server errors after retries. */
    public static final class Unreachable extends OriginException {
        public Unreachable(String message, Throwable cause) {
            super(message, cause);
        }

        @Override
        public BackendConnection connection() {
            return BackendConnection.DISCONNECTED;
        }
    }

    /** Any other failure: the origin answered, but not as the protocol promises. */
    public static final class Failed extends OriginException {
        public Failed(String message, Throwable cause) {
            super(message, cause);
        }

        @Override
        public BackendConnection connection() {
            return BackendConnection.CONNECTED;
        }
    }
}
