package io.cloudmirror.config;

import java.math.BigDecimal;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses Kubernetes-style quantities ({@code 50Gi}, {@code 500M}, {@code 1.5Ti}, {@code 1048576}) into bytes. */
public final class ByteSize {

    private static final Pattern QUANTITY = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)\\s*(Ki|Mi|Gi|Ti|Pi|Ei|k|K|M|G|T|P|E)?");

    private ByteSize() {
    }

    /** The number of bytes {@code text} designates; {@link IllegalArgumentException} if it is not a quantity. */
    public static long parse(String text) {
        Matcher m = QUANTITY.matcher(text == null ? "" : text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("\"" + text + "\" is not a size; expected a number of bytes with an "
                    + "optional suffix Ki Mi Gi Ti Pi Ei (powers of 1024) or k M G T P E (powers of 1000), e.g. 50Gi");
        }
        BigDecimal n = new BigDecimal(m.group(1));
        String unit = m.group(2) == null ? "" : m.group(2);
        BigDecimal factor = switch (unit) {
            case "" -> BigDecimal.ONE;
            case "k", "K" -> BigDecimal.valueOf(1000L);
            case "M" -> BigDecimal.valueOf(1000_000L);
            case "G" -> BigDecimal.valueOf(1000_000_000L);
            case "T" -> BigDecimal.valueOf(1000_000_000_000L);
            case "P" -> BigDecimal.valueOf(1000_000_000_000_000L);
            case "E" -> BigDecimal.valueOf(1000_000_000_000_000_000L);
            case "Ki" -> BigDecimal.valueOf(1L << 10);
            case "Mi" -> BigDecimal.valueOf(1L << 20);
            case "Gi" -> BigDecimal.valueOf(1L << 30);
            case "Ti" -> BigDecimal.valueOf(1L << 40);
            case "Pi" -> BigDecimal.valueOf(1L << 50);
            default -> BigDecimal.valueOf(1L << 60);
        };
        BigDecimal bytes = n.multiply(factor);
        if (bytes.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("\"" + text + "\" is too large; expected at most "
                    + Long.MAX_VALUE + " bytes (just under 8Ei)");
        }
        return bytes.longValue();
    }

    /** A short human form: {@code 1.5 GiB}. */
    public static String format(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? bytes + " B" : String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
