package io.cloudmirror.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cloudmirror.blocks.BlockCache;
import io.cloudmirror.blocks.CachedContent;
import io.cloudmirror.index.IndexStore;
import io.cloudmirror.origin.BlobItem;
import io.cloudmirror.origin.BlobOrigin;
import io.cloudmirror.origin.OriginException;
import io.cloudmirror.origin.Probe;
import io.cloudmirror.sync.Syncer;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 5 GiB blob (sparse content, generated on the fly by the origin) through a sync, the index, the block cache
 * and the core: its size is exact, and reads across the 2 GiB and 4 GiB boundaries and at its end return the
 * right bytes (no int overflow in offsets, block numbers or sizes), never more than the blob holds.
 */
class HugeBlobTest {

    private static final long SIZE = 5L << 30;
    private static final String ETAG = "\"0x5G\"";

    @TempDir
    Path dir;

    /** The blob's byte at {@code offset}: zero but for a marker every 4 KiB, which encodes the offset. */
    static byte at(long offset) {
        return offset % 4096 == 0 ? (byte) ((offset >>> 12) * 31 + (offset >>> 32)) : (offset % 4096 == 4095 ? (byte) 7 : 0);
    }

    /** Serves one 5 GiB blob, generated; counts the bytes it hands out. */
    private static final class HugeOrigin implements BlobOrigin {
        final AtomicLong served = new AtomicLong();

        @Override
        public String displayName() {
            return "memory/huge";
        }

        @Override
        public void list(String prefix, BlobSink sink) throws OriginException {
            try {
                sink.accept(new BlobItem("models/huge.bin", SIZE, Instant.parse("2024-01-01T00:00:00Z"), ETAG, null,
                        Map.of(), Map.of()));
                sink.accept(new BlobItem("zero.bin", 0, Instant.parse("2024-01-01T00:00:00Z"), "\"0x0\"", null,
                        Map.of(), Map.of()));
            } catch (java.io.IOException e) {
                throw new OriginException.Unreachable("sink", e);
            }
        }

        @Override
        public int read(String name, String etag, long offset, ByteBuffer dst) throws OriginException {
            long size = name.equals("zero.bin") ? 0 : SIZE;
            int n = (int) Math.max(0, Math.min(dst.remaining(), size - offset));
            for (int i = 0; i < n; i++) {
                dst.put(at(offset + i));
            }
            served.addAndGet(n);
            return n;
        }

        @Override
        public Probe probe() {
            return Probe.connected();
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aFiveGibBlobReadsRightAcrossEveryBoundary() throws Exception {
        HugeOrigin origin = new HugeOrigin();
        try (IndexStore index = IndexStore.open(dir.resolve("index"), "media");
             BlockCache blocks = BlockCache.open(dir.resolve("blocks"), 64L << 20)) {
            CachedContent content = CachedContent.create("media", origin, blocks, MirrorHarness.SETTINGS);
            new Syncer("media", origin, "", index, Clock.systemUTC()).syncNow();
            MirrorFileSystem fs = new MirrorFileSystem(List.of(new Subvolume("media", "m", index,
                    new CachedSource(content), true)), new Ownership(0, 0, 0), Instant.EPOCH);
            try {
                assertEquals(SIZE, fs.getattr("/m/models/huge.bin").size());
                assertEquals(0, fs.getattr("/m/zero.bin").size());
                long fh = fs.open("/m/models/huge.bin", 0).fh();
                for (long offset : new long[] {0, (1L << 31) - 5000, (1L << 31) + 4096 * 3, (1L << 32) - 70_000,
                        (1L << 32), SIZE - 100_000, SIZE - 3}) {
                    ByteBuffer dst = ByteBuffer.allocate(140_000);
                    int n = fs.read(fh, offset, dst);
                    long expected = Math.min(dst.capacity(), SIZE - offset);
                    assertEquals(expected, n, "bytes read at " + offset);
                    for (int i = 0; i < n; i++) {
                        if (dst.get(i) != at(offset + i)) {
                            throw new AssertionError("byte at " + (offset + i) + ": " + dst.get(i) + " != " + at(offset + i));
                        }
                    }
                }
                assertEquals(0, fs.read(fh, SIZE, ByteBuffer.allocate(10)), "nothing at the end");
                assertEquals(0, fs.read(fh, SIZE + (1L << 33), ByteBuffer.allocate(10)), "nothing past the end");
                fs.release(fh);
                long z = fs.open("/m/zero.bin", 0).fh();
                assertEquals(0, fs.read(z, 0, ByteBuffer.allocate(10)));
                fs.release(z);
                assertEquals(SIZE, fs.totals().bytes(), "statfs counts the 5 GiB");
                assertEquals(true, origin.served.get() < (64L << 20), "only the blocks read were fetched: "
                        + origin.served.get());
            } finally {
                fs.close();
                content.close();
            }
        }
    }
}
