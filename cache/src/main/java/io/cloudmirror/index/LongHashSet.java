package io.cloudmirror.index;

import java.util.Arrays;

/**
 * An open-addressing set of non-zero longs, 8 bytes a slot, for inode bookkeeping during a build.
 * Not thread-safe.
 */
final class LongHashSet {

    private static final long FREE = 0;
    private static final long REMOVED = Long.MIN_VALUE;

    private long[] slots = new long[1 << 12];
    private int used;

    /** Adds {@code v} (non-zero); returns false if it was present. */
    boolean add(long v) {
        check(v);
        if ((used + 1) * 2L > slots.length) {
            grow();
        }
        int mask = slots.length - 1;
        int i = mix(v) & mask;
        int firstRemoved = -1;
        while (slots[i] != FREE) {
            if (slots[i] == v) {
                return false;
            }
            if (slots[i] == REMOVED && firstRemoved < 0) {
                firstRemoved = i;
            }
            i = (i + 1) & mask;
        }
        if (firstRemoved >= 0) {
            slots[firstRemoved] = v;
        } else {
            slots[i] = v;
            used++;
        }
        return true;
    }

    /** Removes {@code v} if present. */
    void remove(long v) {
        check(v);
        int mask = slots.length - 1;
        for (int i = mix(v) & mask; slots[i] != FREE; i = (i + 1) & mask) {
            if (slots[i] == v) {
                slots[i] = REMOVED;
                return;
            }
        }
    }

    boolean contains(long v) {
        int mask = slots.length - 1;
        for (int i = mix(v) & mask; slots[i] != FREE; i = (i + 1) & mask) {
            if (slots[i] == v) {
                return true;
            }
        }
        return false;
    }

    private void grow() {
        long[] old = slots;
        slots = new long[old.length * 2];
        used = 0;
        for (long v : old) {
            if (v != FREE && v != REMOVED) {
                add(v);
            }
        }
    }

    private static void check(long v) {
        if (v == FREE || v == REMOVED) {
            throw new IllegalArgumentException("reserved value " + v);
        }
    }

    private static int mix(long v) {
        long h = v * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32));
    }

    @Override
    public String toString() {
        return "LongHashSet[" + Arrays.stream(slots).filter(v -> v != FREE && v != REMOVED).count() + "]";
    }
}
