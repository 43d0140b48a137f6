package io.cloudmirror.origin.vfs;

import io.cloudmirror.origin.OriginException;
import java.io.FileNotFoundException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.vfs2.FileSystemException;

/**
 * Maps what commons-vfs and its providers (local files, JSch for SFTP, HttpClient 5) throw to the
 * {@link OriginException} kinds, by looking through the cause chain. Stateless.
 */
final class VfsErrors {

    /** The HTTP status in the provider's messages, e.g. {@code HTTP/1.1 404 Not Found}, {@code status code 401}. */
    private static final Pattern HTTP_STATUS = Pattern.compile("(?:HTTP/\\d(?:\\.\\d)?\\s+|status(?: code)?[ :]+)(\\d{3})");

    private VfsErrors() {
    }

    /**
     * The origin failure {@code e} means while doing {@code what}.
     *
     * @param pinnedRead a read pinned to a version: a missing file then means the version is gone
     */
    static OriginException map(String what, Throwable e, boolean pinnedRead) {
        if (e instanceof OriginException oe) {
            return oe;
        }
        String detail = describe(e);
        String message = what + ": " + detail;
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            String name = c.getClass().getName();
            String text = String.valueOf(c.getMessage()).toLowerCase(Locale.ROOT);
            if (name.equals("com.jcraft.jsch.JSchException") || name.startsWith("com.jcraft.jsch.JSchAuth")) {
                if (text.contains("auth") || text.contains("userauth")) {
                    return new OriginException.Denied(message + " (check the user name in the URI and the password in "
                            + "spec.authentication)", e);
                }
                if (text.contains("hostkey") || text.contains("host key")) {
                    return new OriginException.Denied(message + " (the server's host key is not in "
                            + "spec.vfsSource.knownHosts)", e);
                }
                return new OriginException.Unreachable(message, e);
            }
            if (name.equals("com.jcraft.jsch.SftpException")) {
                if (text.contains("no such file") || text.startsWith("2:")) {
                    return pinnedRead ? new OriginException.VersionGone(message, e)
                            : new OriginException.ContainerMissing(message, e);
                }
                if (text.contains("permission denied") || text.startsWith("3:")) {
                    return new OriginException.Denied(message, e);
                }
            }
            if (c instanceof AccessDeniedException) {
                return new OriginException.Denied(message, e);
            }
            if (c instanceof FileNotFoundException || c instanceof NoSuchFileException) {
                if (text.contains("permission denied")) {
                    return new OriginException.Denied(message, e);
                }
                return pinnedRead ? new OriginException.VersionGone(message, e)
                        : new OriginException.ContainerMissing(message, e);
            }
            if (c instanceof ConnectException || c instanceof UnknownHostException || c instanceof NoRouteToHostException
                    || c instanceof InterruptedIOException || c instanceof SocketException
                    || name.startsWith("org.apache.hc.client5.http.ConnectTimeoutException")
                    || name.startsWith("org.apache.hc.client5.http.HttpHostConnectException")
                    || name.startsWith("org.apache.hc.core5.http.NoHttpResponseException")
                    || name.startsWith("org.apache.hc.core5.http.ConnectionClosedException")) {
                return new OriginException.Unreachable(message, e);
            }
            Integer status = httpStatus(c);
            if (status != null) {
                if (status == 401 || status == 403) {
                    return new OriginException.Denied(message, e);
                }
                if (status == 404 || status == 410) {
                    return pinnedRead ? new OriginException.VersionGone(message, e)
                            : new OriginException.ContainerMissing(message, e);
                }
                if (status >= 500 || status == 408 || status == 429) {
                    return new OriginException.Unreachable(message, e);
                }
            }
        }
        return new OriginException.Failed(message, e);
    }

    private static Integer httpStatus(Throwable c) {
        if (!(c instanceof FileSystemException f) || f.getCode() == null || !f.getCode().contains("http")) {
            return null;
        }
        Matcher m = HTTP_STATUS.matcher(String.valueOf(f.getMessage()));
        if (m.find()) {
            return Integer.parseInt(m.group(1));
        }
        for (Object info : f.getInfo()) {
            String s = String.valueOf(info);
            if (s.matches("\\d{3}")) {
                return Integer.parseInt(s);
            }
        }
        return null;
    }

    /** The most telling message of the chain: the deepest cause's, with the outermost's when they differ. */
    private static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String outer = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (root == e) {
            return outer;
        }
        String inner = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return outer.contains(inner) ? outer : outer + ": " + inner;
    }
}
