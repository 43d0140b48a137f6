package io.cloudmirror.origin;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Lists a container's names in parallel where its layout allows. A listing is a chain of pages, each asked
 * for with the marker the previous one ended with, so one chain keeps one request in flight: the service
 * builds a page while the client waits, then the client parses it while the service waits. Split by the
 * first path component under the prefix, the chains of the parts overlap. One hierarchical request ({@code /}
 * as delimiter) shows that level; when it fits in one page and has from 2 to {@link #MAX_PARTS} sub-prefixes,
 * its blobs are delivered and each sub-prefix is listed flat by a worker, {@code threads} at a time. A level
 * that fits in one page and has no sub-prefix is the whole listing. Otherwise the prefix is listed flat as
 * one chain, as without this class.
 *
 * <p>Pages reach the sink on the calling thread, one item at a time, in no particular order across parts;
 * every name is delivered once. The first failure of a part stops the others and is rethrown as it was.
 * Each call runs its own workers and stops them before it returns.
 */
final class ParallelListing {

    /** More sub-prefixes than this and the level is listed as one chain (each part costs a request). */
    static final int MAX_PARTS = 64;
    private static final int QUEUED_PAGES = 8;
    private static final Object DONE = new Object();

    /** The blobs and sub-prefixes of the first page of one hierarchical level. */
    record Level(List<BlobItem> blobs, List<String> prefixes, boolean complete) {
    }

    /** The service side: listings as the SDK gives them; failures are unchecked, as the SDK throws them. */
    interface Service {
        /** The first page of the level under {@code prefix}, with {@code /} as the delimiter. */
        Level level(String prefix);

        /** Every blob under {@code prefix}, page by page. */
        Iterable<List<BlobItem>> flat(String prefix);
    }

    private ParallelListing() {
    }

    /**
     * Lists every blob under {@code prefix} into {@code sink}.
     *
     * @throws InterruptedIOException if the calling thread is interrupted (the workers are stopped)
     */
    static void list(String prefix, Service service, int threads, BlobOrigin.BlobSink sink) throws IOException {
        Level level = service.level(prefix);
        if (level.complete() && level.prefixes().isEmpty()) {
            deliver(level.blobs(), sink);
            return;
        }
        List<String> parts = parts(level);
        if (parts.isEmpty()) {
            for (List<BlobItem> page : service.flat(prefix)) {
                deliver(page, sink);
            }
            return;
        }
        deliver(level.blobs(), sink);
        BlockingQueue<Object> pages = new ArrayBlockingQueue<>(QUEUED_PAGES);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicInteger next = new AtomicInteger();
        int workers = Math.min(threads, parts.size());
        ExecutorService pool = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "list-" + Thread.currentThread().getName());
            t.setDaemon(true);
            return t;
        });
        try {
            for (int w = 0; w < workers; w++) {
                pool.execute(() -> {
                    try {
                        for (int i = next.getAndIncrement(); i < parts.size() && failure.get() == null;
                             i = next.getAndIncrement()) {
                            for (List<BlobItem> page : service.flat(parts.get(i))) {
                                pages.put(page);
                            }
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return; // stopped by the caller, which no longer waits for this worker
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                    try {
                        pages.put(DONE);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
            int running = workers;
            while (running > 0) {
                Object o = pages.take();
                if (o == DONE) {
                    running--;
                } else if (failure.get() == null) {
                    @SuppressWarnings("unchecked")
                    List<BlobItem> page = (List<BlobItem>) o;
                    deliver(page, sink);
                }
                Throwable t = failure.get();
                if (t != null) {
                    if (t instanceof RuntimeException re) {
                        throw re;
                    }
                    if (t instanceof Error err) {
                        throw err;
                    }
                    throw new IOException(t);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("listing interrupted");
        } finally {
            pool.shutdownNow();
        }
    }

    private static void deliver(List<BlobItem> page, BlobOrigin.BlobSink sink) throws IOException {
        for (BlobItem item : page) {
            sink.accept(item);
        }
    }

    /** The sub-prefixes a level is split into, or none when it is listed as one chain. */
    static List<String> parts(Level level) {
        return level.complete() && level.prefixes().size() >= 2 && level.prefixes().size() <= MAX_PARTS
                ? level.prefixes() : List.of();
    }
}
