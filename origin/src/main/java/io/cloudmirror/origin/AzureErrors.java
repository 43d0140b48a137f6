package io.cloudmirror.origin;

import com.azure.core.exception.ClientAuthenticationException;
import com.azure.core.exception.HttpResponseException;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobStorageException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.TimeoutException;

/** Translates Azure SDK failures into {@link OriginException} kinds. Stateless. */
final class AzureErrors {

    private AzureErrors() {
    }

    /**
     * Maps {@code e}, raised while doing {@code what}, to an origin failure.
     *
     * @param pinnedRead whether the failing call was a read pinned to an ETag (404/412 then mean the version is gone)
     * @return the failure, or {@code null} when a pinned read asked for a range at or past the end of the blob
     */
    static OriginException map(String what, RuntimeException e, boolean pinnedRead) {
        if (e instanceof BlobStorageException bse) {
            int status = bse.getStatusCode();
            BlobErrorCode code = bse.getErrorCode();
            String reason = what + ": HTTP " + status + (code == null ? "" : " " + code);
            if (status == 416 && pinnedRead) {
                return null;
            }
            if (status == 401 || status == 403) {
                return new OriginException.Denied(reason + " (check the credential and its permissions)", e);
            }
            if (status == 404 && (BlobErrorCode.CONTAINER_NOT_FOUND.equals(code)
                    || BlobErrorCode.RESOURCE_NOT_FOUND.equals(code) && !pinnedRead)) {
                return new OriginException.ContainerMissing(reason, e);
            }
            if (pinnedRead && (status == 404 || status == 412)) {
                return new OriginException.VersionGone(reason + " (the blob changed or was deleted)", e);
            }
            if (status == 404) {
                return new OriginException.ContainerMissing(reason, e);
            }
            if (status == 408 || status == 429 || status >= 500) {
                return new OriginException.Unreachable(reason, e);
            }
            return new OriginException.Failed(reason, e);
        }
        if (e instanceof ClientAuthenticationException) {
            return new OriginException.Denied(what + ": authentication failed: " + e.getMessage(), e);
        }
        if (e instanceof HttpResponseException hre && hre.getResponse() != null) {
            int status = hre.getResponse().getStatusCode();
            if (status == 401 || status == 403) {
                return new OriginException.Denied(what + ": HTTP " + status, e);
            }
        }
        if (isNetwork(e)) {
            return new OriginException.Unreachable(what + ": " + describe(e), e);
        }
        return new OriginException.Failed(what + ": " + describe(e), e);
    }

    private static boolean isNetwork(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof IOException || t instanceof UncheckedIOException || t instanceof TimeoutException
                    || t instanceof java.net.http.HttpTimeoutException) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    private static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String msg = root.getMessage();
        return root.getClass().getSimpleName() + (msg == null ? "" : ": " + msg);
    }
}
