package io.cloudmirror.blocks;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * The layout of one block file: a header, then the block's bytes. Stateless.
 *
 * <pre>
 * offset  size  field
 *      0     4  magic "CMBK"
 *      4     2  layout: 1 compact, 2 page-aligned
 *      6     2  log2 of the checksum chunk size (16: 64 KiB)
 *      8     4  block index within the blob
 *     12     4  data length in bytes
 *     16    32  SHA-256 of (blob name, 0, ETag): the {@link BlobKey} digest
 *     48     4  number of chunks n = ceil(length / chunk size)
 *     52    4n  CRC32C of each chunk of the data
 *  52+4n     4  CRC32C of the header bytes before it
 * </pre>
 *
 * All integers are big-endian. Blocks shorter than {@value #ALIGNED_MIN} bytes (small files, the tails of
 * larger ones) use the <em>compact</em> layout: the data follows the header directly. Longer blocks use the
 * <em>page-aligned</em> layout: the header is padded to {@value #PAGE} bytes and the data to a multiple of
 * {@value #PAGE}, so that whole blocks can be written and read with direct I/O, bypassing the page cache (on
 * a busy host, copying a block through the page cache costs several times the CPU of the transfer itself,
 * and the kernel already caches the file's pages for the mounted file). The layout follows from the length,
 * so a reader knows the file's exact size and where the data begins.
 */
final class BlockFormat {

    static final int MAGIC = 0x434D424B;
    static final short COMPACT = 1;
    static final short ALIGNED = 2;
    static final int CHUNK_SHIFT = 16;
    static final int CHUNK = 1 << CHUNK_SHIFT;
    /** File system page: the unit of direct I/O. */
    static final int PAGE = 4096;
    /** Blocks of at least this many bytes use the page-aligned layout. */
    static final int ALIGNED_MIN = 256 * 1024;
    private static final int FIXED = 52;
    private static final int DIGEST = 32;

    private BlockFormat() {
    }

    /** Chunks of a block of {@code length} bytes. */
    static int chunks(int length) {
        return (length + CHUNK - 1) >>> CHUNK_SHIFT;
    }

    /** Whether a block of {@code length} bytes uses the page-aligned layout. */
    static boolean aligned(int length) {
        return length >= ALIGNED_MIN;
    }

    /** Bytes of header fields and checksums of a block of {@code length} bytes. */
    static int headerSize(int length) {
        return FIXED + 4 * chunks(length) + 4;
    }

    /** Where the data of a block of {@code length} bytes begins in its file. */
    static int dataOffset(int length) {
        return aligned(length) ? PAGE : headerSize(length);
    }

    /** The exact size of the file of a block of {@code length} bytes. */
    static long fileSize(int length) {
        return aligned(length) ? PAGE + (long) roundUp(length) : headerSize(length) + (long) length;
    }

    /** {@code n} rounded up to a whole number of pages. */
    static int roundUp(int n) {
        return (n + PAGE - 1) & -PAGE;
    }

    /** The smallest a block file can be: the header of a one-byte block, and that byte. */
    static int minFileSize() {
        return headerSize(1) + 1;
    }

    /**
     * The header for {@code data} (its remaining bytes), as block {@code index} of {@code key}: exactly
     * {@link #dataOffset(int)} bytes, in a page-aligned direct buffer for the page-aligned layout.
     */
    static ByteBuffer header(BlobKey key, int index, ByteBuffer data) {
        int length = data.remaining();
        int n = chunks(length);
        boolean aligned = aligned(length);
        ByteBuffer h = aligned ? pageBuffer(PAGE) : ByteBuffer.allocate(headerSize(length));
        h.order(ByteOrder.BIG_ENDIAN);
        h.putInt(MAGIC).putShort(aligned ? ALIGNED : COMPACT).putShort((short) CHUNK_SHIFT).putInt(index).putInt(length);
        h.put(key.digest());
        h.putInt(n);
        CRC32C crc = new CRC32C();
        for (int c = 0; c < n; c++) {
            int from = data.position() + c * CHUNK;
            crc.reset();
            crc.update(data.duplicate().position(from).limit(Math.min(from + CHUNK, data.limit())));
            h.putInt((int) crc.getValue());
        }
        crc.reset();
        crc.update(h.duplicate().flip());
        h.putInt((int) crc.getValue());
        h.position(0).limit(dataOffset(length)); // the page-aligned header's padding is zero
        return h;
    }

    /** A direct buffer of {@code size} bytes whose address is page-aligned, as direct I/O needs. */
    static ByteBuffer pageBuffer(int size) {
        // slice(): capacity exactly size. Without it, an allocation that happened to be page-aligned kept a
        // page more, and clear() on reuse handed out size + 4 KiB.
        return ByteBuffer.allocateDirect(size + PAGE).alignedSlice(PAGE).limit(size).slice();
    }

    /** Whether {@code b} can take part in direct I/O as is: direct, and page-aligned at its position. */
    static boolean directIoReady(ByteBuffer b) {
        return b.isDirect() && b.alignmentOffset(b.position(), PAGE) == 0;
    }

    /**
     * Checks a header read from disk against what the reader expects.
     *
     * @param h      the header bytes, from position 0, at least {@link #headerSize(int) headerSize(length)}
     * @param key    the blob version the file should belong to
     * @param index  the block the file should be
     * @param length the block's length as the blob's size implies it
     * @throws CorruptBlock naming the first mismatch
     */
    static void check(ByteBuffer h, BlobKey key, int index, int length) throws CorruptBlock {
        if (h.remaining() < headerSize(length)) {
            throw new CorruptBlock("short header");
        }
        if (h.getInt(0) != MAGIC) {
            throw new CorruptBlock("bad magic");
        }
        short layout = aligned(length) ? ALIGNED : COMPACT;
        if (h.getShort(4) != layout || h.getShort(6) != CHUNK_SHIFT) {
            throw new CorruptBlock("unknown layout " + h.getShort(4) + "/" + h.getShort(6));
        }
        int n = chunks(length);
        CRC32C crc = new CRC32C();
        crc.update(h.duplicate().position(0).limit(FIXED + 4 * n));
        if (h.getInt(FIXED + 4 * n) != (int) crc.getValue()) {
            throw new CorruptBlock("header checksum mismatch");
        }
        if (h.getInt(8) != index) {
            throw new CorruptBlock("block index " + h.getInt(8) + ", expected " + index);
        }
        if (h.getInt(12) != length) {
            throw new CorruptBlock("length " + h.getInt(12) + ", expected " + length);
        }
        byte[] digest = new byte[DIGEST];
        h.get(16, digest);
        if (!key.digestEquals(digest)) {
            throw new CorruptBlock("belongs to another blob version");
        }
        if (h.getInt(48) != n) {
            throw new CorruptBlock("chunk count " + h.getInt(48) + ", expected " + n);
        }
    }

    /**
     * Verifies the chunks that {@code data} holds against a checked header.
     *
     * @param h          a header that passed {@link #check}
     * @param firstChunk the chunk {@code data} starts with
     * @param data       whole chunks (the last one of the block may be short), position to limit
     */
    static void verify(ByteBuffer h, int firstChunk, ByteBuffer data) throws CorruptBlock {
        CRC32C crc = new CRC32C();
        int c = firstChunk;
        for (int from = data.position(); from < data.limit(); from += CHUNK, c++) {
            crc.reset();
            crc.update(data.duplicate().position(from).limit(Math.min(from + CHUNK, data.limit())));
            if (h.getInt(FIXED + 4 * c) != (int) crc.getValue()) {
                throw new CorruptBlock("checksum mismatch in chunk " + c);
            }
        }
    }

    /** A block file that is not what it should be; it is dropped and refetched. */
    static final class CorruptBlock extends Exception {
        private static final long serialVersionUID = 1L;

        CorruptBlock(String reason) {
            super(reason, null, false, false);
        }
    }
}
