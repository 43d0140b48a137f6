package io.cloudmirror.blocks;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The in-memory account of the block cache: which blocks are on disk and how many bytes they take, their
 * least-recently-used order, the bytes reserved by fills in progress, and which blob versions are pinned by
 * open files. It enforces the hard limit: a fill reserves its bytes before writing, and the reservation is
 * granted only if the blocks on disk, the blocks being deleted and all reservations fit in the limit.
 * Evicted blocks keep counting until their files are deleted, so the disk never holds more than the limit.
 *
 * <p>A block is in one of three states: filling (reserved, being written), present, or leaving (being
 * evicted or dropped). Only one of these at a time, so a fill never races a deletion of the same file.
 *
 * <p>Thread-safe: one monitor guards everything; file deletions happen outside it, through the callback.
 */
final class Ledger {

    private final long limit;
    private final Map<BlockId, Entry> entries = new HashMap<>();
    private final Set<BlockId> filling = new HashSet<>();
    private final Map<KeyId, Integer> pins = new HashMap<>();
    /** Versions {@link #retain} rejected while they were pinned: their blocks go when the last pin does. */
    private final Set<KeyId> doomed = new HashSet<>();
    /** Sentinel of the LRU list: {@code lru.next} is the least recently used, {@code lru.prev} the most. */
    private final Entry lru = new Entry(null, 0);
    private long used;
    private long reserved;
    private long evictions;

    Ledger(long limit) {
        this.limit = limit;
        lru.next = lru;
        lru.prev = lru;
    }

    long limit() {
        return limit;
    }

    /** Records a block found on disk at start-up as the most recently used; false if already known. */
    synchronized boolean addExisting(BlockId id, long bytes) {
        if (entries.containsKey(id)) {
            return false;
        }
        Entry e = new Entry(id, bytes);
        entries.put(id, e);
        linkLast(e);
        used += bytes;
        return true;
    }

    /** Whether a block is present; marks it recently used. */
    synchronized boolean touch(BlockId id) {
        Entry e = entries.get(id);
        if (e == null || e.leaving) {
            return false;
        }
        unlink(e);
        linkLast(e);
        return true;
    }

    /** Whether a block is present, without changing its recency. */
    synchronized boolean contains(BlockId id) {
        Entry e = entries.get(id);
        return e != null && !e.leaving;
    }

    /**
     * Reserves {@code bytes} for writing block {@code id}. If they do not fit and {@code mayEvict}, evicts
     * least recently used blocks of unpinned versions (deleting their files through {@code delete}) until
     * they do. Refused if the block is present, leaving or being filled, or if it cannot fit.
     *
     * @return whether the fill may go ahead; then exactly one of {@link #commit} or {@link #cancel} must follow
     */
    boolean beginFill(BlockId id, long bytes, boolean mayEvict, Consumer<BlockId> delete) {
        while (true) {
            List<Entry> victims;
            synchronized (this) {
                if (bytes > limit || entries.containsKey(id) || filling.contains(id)) {
                    return false;
                }
                if (used + reserved + bytes <= limit) {
                    reserved += bytes;
                    filling.add(id);
                    return true;
                }
                if (!mayEvict) {
                    return false;
                }
                victims = chooseVictims(used + reserved + bytes - limit);
                if (victims.isEmpty()) {
                    return false;
                }
            }
            remove(victims, delete);
            synchronized (this) {
                evictions += victims.size();
            }
        }
    }

    /** The fill of {@code id} is on disk: its reservation becomes a present block, most recently used. */
    synchronized void commit(BlockId id, long bytes) {
        if (!filling.remove(id)) {
            throw new IllegalStateException("commit of a fill never begun: " + id);
        }
        reserved -= bytes;
        Entry e = new Entry(id, bytes);
        entries.put(id, e);
        linkLast(e);
        used += bytes;
    }

    /** The fill of {@code id} failed: its reservation is returned. */
    synchronized void cancel(BlockId id, long bytes) {
        if (!filling.remove(id)) {
            throw new IllegalStateException("cancel of a fill never begun: " + id);
        }
        reserved -= bytes;
    }

    /** Removes a present block (found corrupt or missing), pinned or not, deleting its file. */
    void drop(BlockId id, Consumer<BlockId> delete) {
        Entry e;
        synchronized (this) {
            e = entries.get(id);
            if (e == null || e.leaving) {
                return;
            }
            e.leaving = true;
        }
        remove(List.of(e), delete);
    }

    /** Removes every present block of version {@code key}, pinned or not. */
    void dropAll(KeyId key, Consumer<BlockId> delete) {
        List<Entry> gone;
        synchronized (this) {
            gone = markLeaving(key);
        }
        remove(gone, delete);
    }

    /** Marks every present block of version {@code key} leaving and returns them; the caller holds the monitor. */
    private List<Entry> markLeaving(KeyId key) {
        List<Entry> gone = new ArrayList<>();
        for (Entry e : entries.values()) {
            if (!e.leaving && e.id.hi() == key.hi() && e.id.lo() == key.lo()) {
                e.leaving = true;
                gone.add(e);
            }
        }
        return gone;
    }

    /**
     * Removes the blocks of unpinned versions that {@code live} rejects; returns how many. The pinned ones it
     * rejects are doomed: {@link #unpin} says when their last pin goes, and {@link #dropUnpinned} removes them.
     */
    int retain(Predicate<KeyId> live, Consumer<BlockId> delete) {
        List<Entry> gone = new ArrayList<>();
        synchronized (this) {
            doomed.removeIf(live);
            for (Entry e : entries.values()) {
                KeyId k = e.id.key();
                if (!e.leaving && !live.test(k)) {
                    if (pins.containsKey(k)) {
                        doomed.add(k);
                    } else {
                        e.leaving = true;
                        gone.add(e);
                    }
                }
            }
        }
        remove(gone, delete);
        return gone.size();
    }

    /** Removes every present block of version {@code key} if nothing pins it. */
    void dropUnpinned(KeyId key, Consumer<BlockId> delete) {
        List<Entry> gone;
        synchronized (this) {
            if (pins.containsKey(key)) {
                return;
            }
            gone = markLeaving(key);
        }
        remove(gone, delete);
    }

    /** Evicts least recently used unpinned blocks until everything fits in the limit (after start-up). */
    void trimToLimit(Consumer<BlockId> delete) {
        List<Entry> victims;
        synchronized (this) {
            victims = used + reserved <= limit ? List.of() : chooseVictims(used + reserved - limit);
        }
        remove(victims, delete);
        synchronized (this) {
            evictions += victims.size();
        }
    }

    /** Pins version {@code key}: its blocks are not evicted until as many {@link #unpin} calls. */
    synchronized void pin(KeyId key) {
        pins.merge(key, 1, Integer::sum);
    }

    /**
     * Drops one pin of version {@code key}.
     *
     * @return true if that was its last pin and {@link #retain} had found it dead meanwhile: its blocks are
     *         to be removed now ({@link #dropUnpinned})
     */
    synchronized boolean unpin(KeyId key) {
        Integer n = pins.get(key);
        if (n == null) {
            throw new IllegalStateException("unpin of a version not pinned: " + key.hex());
        }
        if (n == 1) {
            pins.remove(key);
            return doomed.remove(key);
        }
        pins.put(key, n - 1);
        return false;
    }

    synchronized boolean pinned(KeyId key) {
        return pins.containsKey(key);
    }

    /** Bytes of blocks on disk (including blocks being deleted). */
    synchronized long used() {
        return used;
    }

    /** Bytes reserved by fills in progress. */
    synchronized long reserved() {
        return reserved;
    }

    /** Bytes that fills may still take without evicting anything. */
    synchronized long free() {
        return Math.max(0, limit - used - reserved);
    }

    /** Blocks present. */
    synchronized int blocks() {
        return entries.size();
    }

    synchronized long evictions() {
        return evictions;
    }

    /** Used and reserved bytes, blocks and evictions, read together. */
    synchronized long[] snapshot() {
        return new long[] {used, reserved, entries.size(), evictions};
    }

    /** The blocks present, least recently used first (for tests and diagnostics). */
    synchronized List<BlockId> inLruOrder() {
        List<BlockId> out = new ArrayList<>(entries.size());
        for (Entry e = lru.next; e != lru; e = e.next) {
            if (!e.leaving) {
                out.add(e.id);
            }
        }
        return out;
    }

    /**
     * Picks least recently used, unpinned, present blocks worth at least {@code need} bytes and marks them
     * leaving. Pinned blocks met on the way are moved to the most recently used end (they are in use), so
     * the scan stays short. Returns the victims, or nothing if not enough bytes can be freed.
     */
    private List<Entry> chooseVictims(long need) {
        List<Entry> victims = new ArrayList<>();
        long freed = 0;
        int budget = entries.size();
        Entry e = lru.next;
        while (e != lru && freed < need && budget-- > 0) {
            Entry next = e.next;
            if (!e.leaving) {
                if (pins.containsKey(e.id.key())) {
                    unlink(e);
                    linkLast(e);
                } else {
                    victims.add(e);
                    freed += e.bytes;
                }
            }
            e = next;
        }
        if (freed < need) {
            return List.of();
        }
        for (Entry v : victims) {
            v.leaving = true;
        }
        return victims;
    }

    /** Deletes leaving entries' files, then forgets them and their bytes. */
    private void remove(List<Entry> gone, Consumer<BlockId> delete) {
        for (Entry e : gone) {
            delete.accept(e.id);
        }
        synchronized (this) {
            for (Entry e : gone) {
                entries.remove(e.id);
                unlink(e);
                used -= e.bytes;
            }
        }
    }

    private void linkLast(Entry e) {
        e.prev = lru.prev;
        e.next = lru;
        lru.prev.next = e;
        lru.prev = e;
    }

    private void unlink(Entry e) {
        if (e.prev != null) {
            e.prev.next = e.next;
            e.next.prev = e.prev;
            e.prev = null;
            e.next = null;
        }
    }

    /** A present block: its size on disk and its place in the LRU list. Guarded by the ledger. */
    private static final class Entry {
        final BlockId id;
        final long bytes;
        Entry prev;
        Entry next;
        boolean leaving;

        Entry(BlockId id, long bytes) {
            this.id = id;
            this.bytes = bytes;
        }
    }
}
