package io.cloudmirror.sync;

import io.cloudmirror.origin.BlobOrigin;
import io.cloudmirror.origin.OriginException;
import io.cloudmirror.origin.Probe;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/**
 * An origin built in the background. Creating the Azure SDK client costs about a second of class
 * loading, which a mount serving its last published tree should not wait for; the first call that needs
 * the cloud waits for it instead. A failure to build is rethrown by every call.
 *
 * <p>Thread-safe.
 */
final class LazyOrigin implements BlobOrigin {

    private final String displayName;
    private final CompletableFuture<BlobOrigin> origin;

    LazyOrigin(String displayName, Supplier<BlobOrigin> factory) {
        this.displayName = displayName;
        this.origin = CompletableFuture.supplyAsync(factory, r -> {
            Thread t = new Thread(r, "origin-init");
            t.setDaemon(true);
            t.start();
        });
    }

    private BlobOrigin origin() throws OriginException {
        try {
            return origin.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OriginException.Failed(displayName + ": interrupted while connecting", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw new OriginException.Failed(displayName + ": cannot create the client: " + cause.getMessage(), cause);
        }
    }

    @Override
    public String displayName() {
        return displayName;
    }

    @Override
    public void list(String prefix, BlobSink sink) throws OriginException {
        origin().list(prefix, sink);
    }

    @Override
    public int read(String name, String etag, long offset, ByteBuffer dst) throws OriginException {
        return origin().read(name, etag, offset, dst);
    }

    @Override
    public long read(String name, String etag, long offset, ByteBuffer[] dsts) throws OriginException {
        return origin().read(name, etag, offset, dsts);
    }

    @Override
    public Probe probe() {
        try {
            return origin().probe();
        } catch (OriginException e) {
            return Probe.of(e);
        }
    }

    @Override
    public void close() {
        origin.thenAccept(BlobOrigin::close);
    }
}
