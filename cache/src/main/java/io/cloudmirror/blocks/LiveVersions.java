package io.cloudmirror.blocks;

import java.util.Arrays;

/**
 * The blob versions a published tree holds, as a compact sorted set of 128-bit keys (16 bytes each), so
 * the cache can tell which of its blocks belong to versions that no longer exist. Immutable once built.
 */
public final class LiveVersions {

    private final long[] keys; // pairs (hi, lo), sorted

    private LiveVersions(long[] keys) {
        this.keys = keys;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Versions held. */
    public int size() {
        return keys.length / 2;
    }

    boolean contains(KeyId k) {
        int lo = 0;
        int hi = size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = compare(keys[2 * mid], keys[2 * mid + 1], k.hi(), k.lo());
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                return true;
            }
        }
        return false;
    }

    private static int compare(long aHi, long aLo, long bHi, long bLo) {
        int c = Long.compareUnsigned(aHi, bHi);
        return c != 0 ? c : Long.compareUnsigned(aLo, bLo);
    }

    /** Collects versions; not thread-safe. */
    public static final class Builder {
        private long[] keys = new long[256];
        private int n;

        public Builder add(BlobKey key) {
            if (2 * n + 2 > keys.length) {
                keys = Arrays.copyOf(keys, keys.length * 2);
            }
            KeyId id = key.id();
            keys[2 * n] = id.hi();
            keys[2 * n + 1] = id.lo();
            n++;
            return this;
        }

        public LiveVersions build() {
            Integer[] order = new Integer[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            long[] k = keys;
            Arrays.sort(order, (a, b) -> compare(k[2 * a], k[2 * a + 1], k[2 * b], k[2 * b + 1]));
            long[] sorted = new long[2 * n];
            for (int i = 0; i < n; i++) {
                sorted[2 * i] = k[2 * order[i]];
                sorted[2 * i + 1] = k[2 * order[i] + 1];
            }
            return new LiveVersions(sorted);
        }
    }
}
