package io.cloudmirror.fs;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Open handles by number, as the kernel refers to them. Numbers are never 0 and never reused.
 * Thread-safe.
 */
final class HandleTable<T> {

    private final ConcurrentHashMap<Long, T> open = new ConcurrentHashMap<>();
    private final AtomicLong next = new AtomicLong(1);

    long add(T value) {
        long fh = next.getAndIncrement();
        open.put(fh, value);
        return fh;
    }

    T get(long fh) throws FsException.BadHandle {
        T v = open.get(fh);
        if (v == null) {
            throw new FsException.BadHandle(fh);
        }
        return v;
    }

    T remove(long fh) {
        return open.remove(fh);
    }

    int size() {
        return open.size();
    }

    Iterable<T> values() {
        return open.values();
    }
}
