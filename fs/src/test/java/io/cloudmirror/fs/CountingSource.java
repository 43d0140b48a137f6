package io.cloudmirror.fs;

import io.cloudmirror.origin.InMemoryOrigin;
import io.cloudmirror.origin.OriginException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Content straight from an in-memory origin, counting the readers open and recording each open
 * ({@code name@etag}, and {@code with md5} when one was given), for tests of who opens and closes readers.
 * Thread-safe.
 */
public final class CountingSource implements ContentSource {

    private final InMemoryOrigin origin;
    private final AtomicInteger open = new AtomicInteger();
    private final List<String> opened = new ArrayList<>();

    public CountingSource(InMemoryOrigin origin) {
        this.origin = origin;
    }

    /** Readers open now. */
    public int openReaders() {
        return open.get();
    }

    /** Every open so far, in order. */
    public synchronized List<String> opened() {
        return List.copyOf(opened);
    }

    @Override
    public int read(String name, String etag, long size, long offset, ByteBuffer dst) throws OriginException {
        return origin.read(name, etag, offset, dst);
    }

    @Override
    public Reader open(String name, String etag, long size, byte[] md5) {
        open.incrementAndGet();
        synchronized (this) {
            opened.add(name + "@" + etag + (md5 == null ? "" : " with md5"));
        }
        Reader inner = ContentSource.super.open(name, etag, size, md5);
        return new Reader() {
            @Override
            public int read(long offset, ByteBuffer dst) throws OriginException {
                return inner.read(offset, dst);
            }

            @Override
            public void close() {
                open.decrementAndGet();
            }
        };
    }
}
