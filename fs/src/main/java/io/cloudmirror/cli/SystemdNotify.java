package io.cloudmirror.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells systemd how a foreground daemon is doing, over the sd_notify protocol: {@code READY=1} once the
 * mount is live, {@code STOPPING=1} when it starts to unmount. Each message is one datagram to the AF_UNIX
 * socket that systemd names in {@code NOTIFY_SOCKET} for the main process of a {@code Type=notify} service
 * (a path, or an abstract name spelled with a leading {@code @}). Java has no AF_UNIX datagram sockets, so
 * libc's {@code socket}/{@code sendto} are called through jnr-ffi, which the FUSE adapter already uses. Without
 * {@code NOTIFY_SOCKET} nothing is sent. Stateless and thread-safe.
 */
final class SystemdNotify {

    private static final Logger LOG = LoggerFactory.getLogger(SystemdNotify.class);
    private static final String ENV = "NOTIFY_SOCKET";
    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int MSG_NOSIGNAL = 0x4000;
    /** sizeof(sun_path) on Linux, including the terminating NUL. */
    private static final int SUN_PATH = 108;

    /** The three libc calls needed; public for jnr-ffi's generated binding. */
    public interface LibC {
        @SaveError
        int socket(int domain, int type, int protocol);

        @SaveError
        @ssize_t
        long sendto(int fd, @In byte[] buffer, @size_t long length, int flags, @In byte[] address, int addressLength);

        int close(int fd);
    }

    private static final class Holder {
        static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
    }

    private SystemdNotify() {
    }

    /** Sends {@code state} to systemd if it asked for notifications; a failure is logged, never thrown. */
    static void tell(String state) {
        String socket = System.getenv(ENV);
        if (socket == null || socket.isEmpty()) {
            return;
        }
        try {
            send(socket, state);
        } catch (IOException | RuntimeException | LinkageError e) {
            LOG.warn("cannot notify systemd ({}={}): {}", ENV, socket, e.toString());
        }
    }

    /** Sends {@code state} (newline-separated {@code KEY=value} lines) to {@code socket}. */
    static void send(String socket, String state) throws IOException {
        byte[] address = address(socket);
        byte[] message = state.getBytes(StandardCharsets.UTF_8);
        LibC libc = Holder.LIBC;
        int fd = libc.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw new IOException("socket(AF_UNIX, SOCK_DGRAM) failed: errno " + errno());
        }
        try {
            if (libc.sendto(fd, message, message.length, MSG_NOSIGNAL, address, address.length) < 0) {
                throw new IOException("sendto " + socket + " failed: errno " + errno());
            }
        } finally {
            libc.close(fd);
        }
    }

    /** {@code struct sockaddr_un} for {@code socket}: a filesystem path, or an abstract name after {@code @}. */
    static byte[] address(String socket) {
        byte[] path = socket.getBytes(StandardCharsets.UTF_8);
        boolean abstractName = path.length > 0 && path[0] == '@';
        if (path.length == 0 || path.length >= SUN_PATH || !abstractName && path[0] != '/') {
            throw new IllegalArgumentException(ENV + " must be an absolute path or an @abstract name of at most "
                    + (SUN_PATH - 1) + " bytes, got \"" + socket + "\"");
        }
        ByteBuffer b = ByteBuffer.allocate(2 + path.length + (abstractName ? 0 : 1)).order(ByteOrder.nativeOrder());
        b.putShort((short) AF_UNIX).put(path);
        if (abstractName) {
            b.put(2, (byte) 0);
        }
        return b.array();
    }

    private static int errno() {
        return jnr.ffi.Runtime.getSystemRuntime().getLastError();
    }
}
