package io.cloudmirror.cli;

import java.time.Duration;
import java.util.Locale;

/** Numbers for people: sizes in binary units as {@code spec.cache.maxSize} spells them, and short durations. */
final class Human {

    private static final String[] UNITS = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};

    private Human() {
    }

    /** {@code 0}, {@code 512}, {@code 1.5Ki}, {@code 12Mi}, {@code 3.1Gi}: rounded down, so never more than there is. */
    static String bytes(long n) {
        if (n < 1024) {
            return Long.toString(n);
        }
        double v = n;
        int unit = -1;
        while (v >= 1024 && unit < UNITS.length - 1) {
            v /= 1024;
            unit++;
        }
        String digits = v >= 10 ? String.format(Locale.ROOT, "%.0f", Math.floor(v))
                : String.format(Locale.ROOT, "%.1f", Math.floor(v * 10) / 10);
        return (digits.endsWith(".0") ? digits.substring(0, digits.length() - 2) : digits) + UNITS[unit];
    }

    /** A count with thousands separators: {@code 12,345}. */
    static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    /**
     * A duration the way kubectl shows ages: {@code 45s}, {@code 4m12s}, {@code 47m}, {@code 3h12m},
     * {@code 26h}, {@code 3d4h}, {@code 45d}, {@code 3y}. Negative durations count as zero.
     */
    static String duration(Duration d) {
        long s = Math.max(0, d.getSeconds());
        if (s < 120) {
            return s + "s";
        }
        long m = s / 60;
        if (m < 10) {
            return m + "m" + (s % 60 == 0 ? "" : s % 60 + "s");
        }
        if (m < 180) {
            return m + "m";
        }
        long h = m / 60;
        if (h < 8) {
            return h + "h" + (m % 60 == 0 ? "" : m % 60 + "m");
        }
        if (h < 48) {
            return h + "h";
        }
        long days = h / 24;
        if (days < 8) {
            return days + "d" + (h % 24 == 0 ? "" : h % 24 + "h");
        }
        if (days < 365 * 2) {
            return days + "d";
        }
        return days / 365 + "y";
    }
}
