package io.cloudmirror.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ByteSizeTest {

    @Test
    void parsesBinaryAndDecimalSuffixes() {
        assertEquals(50L << 30, ByteSize.parse("50Gi"));
        assertEquals(500L << 20, ByteSize.parse("500Mi"));
        assertEquals(1_000_000_000L, ByteSize.parse("1G"));
        assertEquals(3L << 39, ByteSize.parse("1.5Ti"));
        assertEquals(1_048_576L, ByteSize.parse("1048576"));
        assertEquals(10_000L, ByteSize.parse("10k"));
        assertEquals(10_000L, ByteSize.parse("10K"));
        assertEquals(2048L, ByteSize.parse("2Ki"));
        assertEquals(5_000_000L, ByteSize.parse("5M"));
        assertEquals(2_000_000_000_000L, ByteSize.parse("2T"));
        assertEquals(1L << 50, ByteSize.parse("1Pi"));
        assertEquals(3_000_000_000_000_000L, ByteSize.parse("3P"));
        assertEquals(7L << 60, ByteSize.parse("7Ei"));
        assertEquals(9_000_000_000_000_000_000L, ByteSize.parse("9E"));
        assertEquals(512L, ByteSize.parse("0.5Ki"));
        assertEquals(0L, ByteSize.parse("0"));
    }

    @Test
    void toleratesSurroundingAndInnerSpace() {
        assertEquals(50L << 30, ByteSize.parse("  50Gi "));
        assertEquals(50L << 30, ByteSize.parse("50 Gi"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "lots", "-1", "5 XB", "Gi", "5gi", "5GB", "5GiB", "1.5.5", ".5Gi", "1e3", "0x10",
            "5 Gi Gi"})
    void rejectsWhatIsNotASize(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ByteSize.parse(text));
        assertTrue(e.getMessage().startsWith("\"" + text + "\" is not a size; expected a number of bytes"),
                e.getMessage());
        assertTrue(e.getMessage().contains("Ki Mi Gi Ti Pi Ei"), e.getMessage());
        assertTrue(e.getMessage().contains("e.g. 50Gi"), e.getMessage());
    }

    @Test
    void rejectsNull() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ByteSize.parse(null));
        assertTrue(e.getMessage().contains("is not a size; expected"), e.getMessage());
    }

    @Test
    void rejectsWhatDoesNotFitInALong() {
        assertEquals(Long.MAX_VALUE, ByteSize.parse(Long.toString(Long.MAX_VALUE)));
        for (String text : new String[] {"8Ei", "10E", "9223372036854775808", "99999999999999999999999Gi"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ByteSize.parse(text));
            assertTrue(e.getMessage().startsWith("\"" + text + "\" is too large; expected at most"), e.getMessage());
        }
    }

    @Test
    void format() {
        assertEquals("0 B", ByteSize.format(0));
        assertEquals("1 B", ByteSize.format(1));
        assertEquals("1023 B", ByteSize.format(1023));
        assertEquals("1.0 KiB", ByteSize.format(1024));
        assertEquals("1.5 KiB", ByteSize.format(1536));
        assertEquals("500.0 MiB", ByteSize.format(500L << 20));
        assertEquals("1.5 GiB", ByteSize.format(3L << 29));
        assertEquals("10.0 GiB", ByteSize.format(ConfigLoader.DEFAULT_MAX_SIZE));
        assertEquals("50.0 GiB", ByteSize.format(ByteSize.parse("50Gi")));
        assertEquals("1.5 TiB", ByteSize.format(ByteSize.parse("1.5Ti")));
        assertEquals("953.7 MiB", ByteSize.format(ByteSize.parse("1G")));
        assertEquals("1.0 PiB", ByteSize.format(1L << 50));
        assertEquals("8.0 EiB", ByteSize.format(Long.MAX_VALUE));
    }
}
