package io.cloudmirror.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class SystemdNotifyTest {

    private static byte[] family() {
        return ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? new byte[] {1, 0} : new byte[] {0, 1};
    }

    @Test
    void pathAddressEndsWithNul() {
        byte[] f = family();
        assertArrayEquals(new byte[] {f[0], f[1], '/', 'r', '/', 'n', 0}, SystemdNotify.address("/r/n"));
    }

    @Test
    void abstractAddressStartsWithNulAndHasNoTerminator() {
        byte[] f = family();
        assertArrayEquals(new byte[] {f[0], f[1], 0, 'n', 'o'}, SystemdNotify.address("@no"));
    }

    @Test
    void relativeOrOverlongSocketIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> SystemdNotify.address("run/notify"));
        assertThrows(IllegalArgumentException.class, () -> SystemdNotify.address("/" + "x".repeat(107)));
        assertThrows(IllegalArgumentException.class, () -> SystemdNotify.address(""));
    }
}
