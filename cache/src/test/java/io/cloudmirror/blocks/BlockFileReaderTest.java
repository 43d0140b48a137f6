package io.cloudmirror.blocks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlockFileReaderTest {

    private static final int BLOCK = ReadSettings.DEFAULT_BLOCK_SIZE;
    private static final String NAME = "models/a.bin";
    private static final String ETAG = "\"0x1\"";

    @TempDir
    Path tmp;

    @Test
    void readsWhatAnotherProcessCachedAndNothingElse() throws IOException {
        byte[] blob = new byte[2 * BLOCK + BLOCK / 2];
        new Random(3).nextBytes(blob);
        BlobKey key = BlobKey.of(NAME, ETAG);
        try (BlockCache c = BlockCache.open(tmp, 64L << 20)) {
            assertTrue(c.put(key, 0, ByteBuffer.wrap(blob, 0, BLOCK), true));
            assertTrue(c.put(key, 2, ByteBuffer.wrap(blob, 2 * BLOCK, BLOCK / 2), true));
        }
        BlockFileReader r = BlockFileReader.open(tmp);
        assertTrue(r.has(NAME, ETAG, 0) && !r.has(NAME, ETAG, 1) && r.has(NAME, ETAG, 2));
        assertFalse(r.has(NAME, "\"0x2\"", 0), "another version");

        assertArrayEquals(Arrays.copyOfRange(blob, 0, BLOCK), read(r, ETAG, 0, 8 * BLOCK), "up to the block's end");
        assertArrayEquals(Arrays.copyOfRange(blob, 500_000, 500_010), read(r, ETAG, 500_000, 10), "a small range");
        assertArrayEquals(Arrays.copyOfRange(blob, 2 * BLOCK + 100, blob.length), read(r, ETAG, 2 * BLOCK + 100,
                BLOCK), "the short last block");
        assertEquals(null, read(r, ETAG, BLOCK + 5, BLOCK), "block 1 is not cached");
        assertEquals(null, read(r, "\"0x2\"", 0, BLOCK), "another version is not");
        assertEquals(null, read(r, ETAG, blob.length, BLOCK), "past the end");

        try (FileChannel ch = FileChannel.open(new BlockFiles(tmp).path(key.block(0)), StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            ch.read(one, 70_000);
            ch.write(ByteBuffer.wrap(new byte[] {(byte) ~one.get(0)}), 70_000);
        }
        assertEquals(null, read(r, ETAG, 0, BLOCK), "a block failing its checksum reads as absent");
        assertEquals(null, read(r, ETAG, 65_536 + 10, 100), "also for a range in the damaged chunk");

        assertThrows(NoSuchFileException.class, () -> BlockFileReader.open(tmp.resolve("nothing")));
    }

    /** The bytes {@link BlockFileReader#read} copies, or null when it says the block is not usable (dst untouched). */
    private static byte[] read(BlockFileReader r, String etag, long offset, int room) {
        ByteBuffer dst = ByteBuffer.allocateDirect(room + 3).position(3);
        int n = r.read(NAME, etag, 2L * BLOCK + BLOCK / 2, offset, dst);
        if (n < 0) {
            assertEquals(3, dst.position(), "dst untouched");
            return null;
        }
        assertEquals(3 + n, dst.position());
        byte[] out = new byte[n];
        dst.position(3);
        dst.get(out);
        return out;
    }
}
