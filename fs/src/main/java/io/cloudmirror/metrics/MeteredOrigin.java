package io.cloudmirror.metrics;

import io.cloudmirror.origin.BackendConnection;
import io.cloudmirror.origin.BlobItem;
import io.cloudmirror.origin.BlobOrigin;
import io.cloudmirror.origin.OriginException;
import io.cloudmirror.origin.Probe;
import java.nio.ByteBuffer;

/**
 * A {@link BlobOrigin} that counts what passes through it, as one subvolume's: calls by operation, failures
 * by operation and error kind, blob bytes received and blobs listed. The one place origin traffic is
 * metered. Thread-safe (the delegate and the counters are).
 */
final class MeteredOrigin implements BlobOrigin {

    private final String subvolume;
    private final BlobOrigin origin;
    private final Metrics metrics;

    MeteredOrigin(String subvolume, BlobOrigin origin, Metrics metrics) {
        this.subvolume = subvolume;
        this.origin = origin;
        this.metrics = metrics;
    }

    @Override
    public String displayName() {
        return origin.displayName();
    }

    @Override
    public void list(String prefix, BlobSink sink) throws OriginException {
        metrics.originRequests.labelValues(subvolume, "list").inc();
        var listed = metrics.originListed.labelValues(subvolume);
        try {
            origin.list(prefix, (BlobItem item) -> {
                listed.inc();
                sink.accept(item);
            });
        } catch (OriginException e) {
            metrics.originErrors.labelValues(subvolume, "list", Metrics.kind(e)).inc();
            throw e;
        }
    }

    @Override
    public int read(String name, String etag, long offset, ByteBuffer dst) throws OriginException {
        return (int) metered(() -> origin.read(name, etag, offset, dst));
    }

    @Override
    public long read(String name, String etag, long offset, ByteBuffer[] dsts) throws OriginException {
        return metered(() -> origin.read(name, etag, offset, dsts));
    }

    /** One read of the origin, counted as a request, its bytes, or its error. */
    private long metered(Read read) throws OriginException {
        metrics.originRequests.labelValues(subvolume, "read").inc();
        try {
            long n = read.run();
            if (n > 0) {
                metrics.originReadBytes.labelValues(subvolume).inc(n);
            }
            return n;
        } catch (OriginException e) {
            metrics.originErrors.labelValues(subvolume, "read", Metrics.kind(e)).inc();
            throw e;
        }
    }

    @FunctionalInterface
    private interface Read {
        long run() throws OriginException;
    }

    @Override
    public Probe probe() {
        metrics.originRequests.labelValues(subvolume, "probe").inc();
        Probe p = origin.probe();
        if (p.connection() != BackendConnection.CONNECTED) {
            metrics.originErrors.labelValues(subvolume, "probe", Metrics.kind(p.connection())).inc();
        }
        return p;
    }

    @Override
    public void close() {
        origin.close();
    }
}
