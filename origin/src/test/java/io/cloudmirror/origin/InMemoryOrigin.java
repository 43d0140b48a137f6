package io.cloudmirror.origin;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A container held in memory, for unit tests of everything above {@link BlobOrigin}. Blobs get
 * Azure-like ETags that change on every write, whole-content MD5s, and second-precision mtimes from the
 * injected clock. Counts requests and bytes so tests can check what a sync or read fetched.
 *
 * <p>Thread-safe.
 */
public final class InMemoryOrigin implements BlobOrigin {

    /** One stored blob version. */
    public record Blob(byte[] content, String etag, Instant lastModified, Map<String, String> metadata,
                       Map<String, String> tags) {
    }

    private final NavigableMap<String, Blob> blobs;
    private final AtomicLong versions;
    private final AtomicLong reads;
    private final AtomicLong bytesRead;
    private final AtomicLong listings;
    private final Clock clock;
    private final boolean includeTags;
    private volatile BackendConnection state = BackendConnection.CONNECTED;

    public InMemoryOrigin() {
        this(Clock.systemUTC(), true);
    }

    public InMemoryOrigin(Clock clock, boolean includeTags) {
        this.blobs = new ConcurrentSkipListMap<>();
        this.versions = new AtomicLong();
        this.reads = new AtomicLong();
        this.bytesRead = new AtomicLong();
        this.listings = new AtomicLong();
        this.clock = clock;
        this.includeTags = includeTags;
    }

    private InMemoryOrigin(InMemoryOrigin shared, boolean includeTags) {
        this.blobs = shared.blobs;
        this.versions = shared.versions;
        this.reads = shared.reads;
        this.bytesRead = shared.bytesRead;
        this.listings = shared.listings;
        this.clock = shared.clock;
        this.includeTags = includeTags;
    }

    /**
     * Another origin over the same blobs (like a second {@link AzureBlobOrigin} on the same container)
     * that lists index tags or not. Blobs and counters are shared; the failure state ({@link #setState})
     * is not.
     */
    public InMemoryOrigin view(boolean includeTags) {
        return new InMemoryOrigin(this, includeTags);
    }

    /** Stores (or overwrites) a blob; returns its new ETag. */
    public String put(String name, byte[] content) {
        return put(name, content, Map.of(), Map.of());
    }

    /** Stores a UTF-8 text blob; returns its new ETag. */
    public String put(String name, String content) {
        return put(name, content.getBytes(StandardCharsets.UTF_8));
    }

    /** Stores (or overwrites) a blob with metadata and index tags; returns its new ETag. */
    public String put(String name, byte[] content, Map<String, String> metadata, Map<String, String> tags) {
        String etag = "\"0x8DC" + Long.toHexString(versions.incrementAndGet()).toUpperCase() + "\"";
        blobs.put(name, new Blob(content.clone(), etag, clock.instant().truncatedTo(ChronoUnit.SECONDS),
                Map.copyOf(metadata), Map.copyOf(tags)));
        return etag;
    }

    /** Deletes a blob; true if it existed. */
    public boolean delete(String name) {
        return blobs.remove(name) != null;
    }

    /** The stored blob, or {@code null}. */
    public Blob get(String name) {
        return blobs.get(name);
    }

    /** Makes every call fail as if the origin were in {@code state} (CONNECTED restores service). */
    public void setState(BackendConnection state) {
        this.state = state;
    }

    public long readCount() {
        return reads.get();
    }

    public long bytesRead() {
        return bytesRead.get();
    }

    public long listingCount() {
        return listings.get();
    }

    @Override
    public String displayName() {
        return "memory/test";
    }

    @Override
    public void list(String prefix, BlobSink sink) throws OriginException {
        fail("listing");
        listings.incrementAndGet();
        String p = prefix == null ? "" : prefix;
        for (Map.Entry<String, Blob> e : blobs.tailMap(p, true).entrySet()) {
            if (!e.getKey().startsWith(p)) {
                break;
            }
            Blob b = e.getValue();
            try {
                sink.accept(new BlobItem(e.getKey(), b.content().length, b.lastModified(), b.etag(),
                        md5(b.content()), b.metadata(), includeTags ? b.tags() : Map.of()));
            } catch (OriginException oe) {
                throw oe;
            } catch (IOException io) {
                throw new OriginException.Failed("listing sink failed: " + io.getMessage(), io);
            }
        }
    }

    @Override
    public int read(String name, String etag, long offset, ByteBuffer dst) throws OriginException {
        fail("reading " + name);
        reads.incrementAndGet();
        Blob b = blobs.get(name);
        if (b == null || !b.etag().equals(etag)) {
            throw new OriginException.VersionGone("reading " + name + ": version " + etag + " is gone", null);
        }
        if (offset >= b.content().length) {
            return 0;
        }
        int n = (int) Math.min(dst.remaining(), b.content().length - offset);
        dst.put(b.content(), (int) offset, n);
        bytesRead.addAndGet(n);
        return n;
    }

    /** One request for the whole span, as {@link AzureBlobOrigin} makes it: counts as one read. */
    @Override
    public long read(String name, String etag, long offset, ByteBuffer[] dsts) throws OriginException {
        fail("reading " + name);
        reads.incrementAndGet();
        Blob b = blobs.get(name);
        if (b == null || !b.etag().equals(etag)) {
            throw new OriginException.VersionGone("reading " + name + ": version " + etag + " is gone", null);
        }
        long pos = offset;
        for (ByteBuffer dst : dsts) {
            if (pos >= b.content().length) {
                break;
            }
            int n = (int) Math.min(dst.remaining(), b.content().length - pos);
            dst.put(b.content(), (int) pos, n);
            pos += n;
        }
        bytesRead.addAndGet(pos - offset);
        return pos - offset;
    }

    @Override
    public Probe probe() {
        try {
            fail("probing");
            return Probe.connected();
        } catch (OriginException e) {
            return Probe.of(e);
        }
    }

    @Override
    public void close() {
    }

    private void fail(String what) throws OriginException {
        switch (state) {
            case CONNECTED -> { }
            case DISCONNECTED -> throw new OriginException.Unreachable(what + ": origin unreachable (test)", null);
            case UNAUTHORIZED -> throw new OriginException.Denied(what + ": HTTP 403 (test)", null);
            case NOT_FOUND -> throw new OriginException.ContainerMissing(what + ": HTTP 404 (test)", null);
        }
    }

    /** The MD5 of {@code content}. */
    public static byte[] md5(byte[] content) {
        try {
            return MessageDigest.getInstance("MD5").digest(content);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
