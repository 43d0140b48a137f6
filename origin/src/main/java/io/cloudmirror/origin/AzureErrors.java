package io.cloudmirror.origin;

import com.azure.core.exception.ClientAuthenticationException;
import com.azure.core.exception.HttpResponseException;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobStorageException;
import com.microsoft.aad.msal4j.MsalException;
import com.microsoft.aad.msal4j.MsalServiceException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Translates Azure SDK failures into {@link OriginException} kinds, with a reason an operator can act on:
 * what the service said ({@code AuthenticationErrorDetail}), which permission a SAS lacks, why no token
 * could be had. Stateless.
 */
final class AzureErrors {

    private static final Pattern AUTH_DETAIL =
            Pattern.compile("<AuthenticationErrorDetail>(.*?)</AuthenticationErrorDetail>", Pattern.DOTALL);
    private static final int MAX_DETAIL = 300;

    private AzureErrors() {
    }

    /**
     * Maps {@code e}, raised while doing {@code what}, to an origin failure.
     *
     * @param pinnedRead whether the failing call was a read pinned to an ETag (404/412 then mean the version is
     *                   gone); any other call lists
     * @param credential the credential in use, to explain authorization failures
     * @return the failure, or {@code null} when a pinned read asked for a range at or past the end of the blob
     */
    static OriginException map(String what, RuntimeException e, boolean pinnedRead, AzureCredential credential) {
        return map(what, e, pinnedRead, credential, Clock.systemUTC());
    }

    static OriginException map(String what, RuntimeException e, boolean pinnedRead, AzureCredential credential,
                               Clock clock) {
        if (e instanceof BlobStorageException bse) {
            return forStatus(what, bse.getStatusCode(), bse.getErrorCode(), detail(bse), pinnedRead, credential, clock,
                    e);
        }
        Throwable tokenFailure = tokenFailure(e);
        if (tokenFailure != null) {
            String source = credential.authType() + " token";
            if (isNetwork(e) && !(tokenFailure instanceof MsalServiceException)) {
                return new OriginException.Unreachable(what + ": cannot reach the " + source + " endpoint: "
                        + describe(e), e);
            }
            return new OriginException.Denied(what + ": no " + source + ": " + tokenMessage(tokenFailure), e);
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

    /**
     * The failure an HTTP error answer means, for the SDK's calls and for {@link HttpRangeReader}'s reads alike.
     *
     * @param detail      the service's explanation, in the form {@code " (...)"}, or empty
     * @return the failure, or {@code null} when a pinned read asked for a range at or past the end of the blob
     */
    static OriginException forStatus(String what, int status, BlobErrorCode code, String detail, boolean pinnedRead,
                                     AzureCredential credential, Clock clock, Throwable cause) {
        String reason = what + ": HTTP " + status + (code == null ? "" : " " + code);
        if (status == 416 && pinnedRead) {
            return null;
        }
        if (status == 401 || status == 403) {
            return new OriginException.Denied(reason + detail + ": "
                    + authorizationHint(code, pinnedRead, credential, clock), cause);
        }
        if (status == 404 && (BlobErrorCode.CONTAINER_NOT_FOUND.equals(code)
                || BlobErrorCode.RESOURCE_NOT_FOUND.equals(code) && !pinnedRead)) {
            return new OriginException.ContainerMissing(reason, cause);
        }
        if (pinnedRead && (status == 404 || status == 412)) {
            return new OriginException.VersionGone(reason + " (the blob changed or was deleted)", cause);
        }
        if (status == 404) {
            return new OriginException.ContainerMissing(reason, cause);
        }
        if (status == 408 || status == 429 || status >= 500) {
            return new OriginException.Unreachable(reason, cause);
        }
        return new OriginException.Failed(reason, cause);
    }

    /** What to do about a 401/403, as precisely as the error code and credential allow. */
    private static String authorizationHint(BlobErrorCode code, boolean read, AzureCredential credential, Clock clock) {
        String op = read ? "reading a blob" : "listing the container";
        if (credential instanceof AzureCredential.Sas sas) {
            String sp = sas.parameter("sp");
            String se = sas.parameter("se");
            if (BlobErrorCode.AUTHORIZATION_PERMISSION_MISMATCH.equals(code)) {
                String need = read ? "r (read)" : "l (list)";
                return "the SAS grants permissions \"" + sp + "\" (sp=" + sp + "), but " + op + " needs " + need
                        + "; issue a SAS with sp=rl";
            }
            if (BlobErrorCode.AUTHORIZATION_RESOURCE_TYPE_MISMATCH.equals(code)) {
                return "the account SAS covers resource types \"" + sas.parameter("srt") + "\" (srt), but " + op
                        + " needs " + (read ? "o (object)" : "c (container)") + "; issue a SAS with srt=co";
            }
            if (BlobErrorCode.AUTHORIZATION_SERVICE_MISMATCH.equals(code)) {
                return "the account SAS does not cover the blob service (ss=" + sas.parameter("ss") + "); use ss=b";
            }
            if (expired(se, clock)) {
                return "the SAS expired at " + se + " (se); issue a new one";
            }
            return "the SAS was refused (wrong account or container, revoked, or signed with a rotated key)";
        }
        if (credential instanceof AzureCredential.ManagedIdentity
                || credential instanceof AzureCredential.WorkloadIdentity) {
            if (BlobErrorCode.AUTHORIZATION_PERMISSION_MISMATCH.equals(code)
                    || BlobErrorCode.AUTHORIZATION_FAILURE.equals(code)) {
                return "the identity lacks a data role: " + op + " needs Storage Blob Data Reader on the container "
                        + "or account (Storage Blob Data Owner to read index tags)";
            }
            return "the storage service refused the " + credential.authType() + " token (expired, revoked, or "
                    + "issued for another audience or tenant)";
        }
        if (credential instanceof AzureCredential.Anonymous) {
            return "the container does not allow anonymous (public) access";
        }
        return "check the " + credential.authType() + " credential and its permissions";
    }

    private static boolean expired(String se, Clock clock) {
        if (se.isEmpty()) {
            return false;
        }
        try {
            String iso = se.length() == 10 ? se + "T00:00:00Z" : se;
            return Instant.parse(iso).isBefore(clock.instant());
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    /** {@code ": <AuthenticationErrorDetail>"} when the service sent one. */
    private static String detail(BlobStorageException e) {
        String text = e.getMessage() == null ? "" : e.getMessage();
        Matcher m = AUTH_DETAIL.matcher(text);
        return m.find() ? " (" + shorten(m.group(1).strip()) + ")" : "";
    }

    /** The failure of the credential to produce a token, if that is what {@code e} is. */
    private static Throwable tokenFailure(Throwable e) {
        Throwable found = null;
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof MsalException) {
                return t; // the most specific: MSAL's own account of the failure
            }
            if (found == null && t instanceof ClientAuthenticationException) {
                found = t;
            }
        }
        return found;
    }

    private static String tokenMessage(Throwable t) {
        String msg = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        if (t instanceof MsalServiceException mse && mse.statusCode() != null && mse.statusCode() > 0
                && !msg.contains(Integer.toString(mse.statusCode()))) {
            msg = "HTTP " + mse.statusCode() + " " + msg;
        }
        return shorten(msg.replaceAll("\\s+", " ").strip());
    }

    private static String shorten(String s) {
        return s.length() <= MAX_DETAIL ? s : s.substring(0, MAX_DETAIL) + "...";
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
