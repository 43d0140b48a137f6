package io.cloudmirror.blocks;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import com.sun.nio.file.ExtendedOpenOption;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The block files under one cache directory: {@code <dir>/<hh>/<32 hex digits>-<block>}, where the hex
 * digits are the {@link KeyId} and {@code hh} their first two (256 subdirectories), plus {@code <dir>/tmp}
 * for files being written. Writes go to a temporary file that is renamed into place, so a block file is
 * either absent or complete as written; reads check the header and the checksums of every chunk they
 * return (see {@link BlockFormat}). Whole page-aligned blocks are written and read with direct I/O where the
 * file system allows it; partial reads go through the page cache.
 *
 * <p>Thread-safe: every method works on its own file channels.
 */
final class BlockFiles {

    private static final Logger LOG = LoggerFactory.getLogger(BlockFiles.class);
    private static final Pattern NAME = Pattern.compile("([0-9a-f]{32})-([0-9]{1,10})");
    static final String TMP = "tmp";
    /** File system allocation unit that sizes are accounted in. */
    static final int ALLOCATION_UNIT = 4096;

    private final Path dir;
    private final Path tmp;
    private final ThreadLocal<ByteBuffer> scratch = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(0));
    private final ThreadLocal<ByteBuffer> headerPages = ThreadLocal.withInitial(
            () -> BlockFormat.pageBuffer(BlockFormat.PAGE));
    private volatile boolean directIo = true;
    /** Whole-block writes and loads done with direct I/O (for tests and diagnostics). */
    final java.util.concurrent.atomic.AtomicLong directTransfers = new java.util.concurrent.atomic.AtomicLong();

    BlockFiles(Path dir) {
        this.dir = dir;
        this.tmp = dir.resolve(TMP);
    }

    /** Creates the directories, and deletes what a crash left in {@code tmp}. */
    void prepare() throws IOException {
        Files.createDirectories(dir);
        if (Files.isDirectory(tmp)) {
            try (DirectoryStream<Path> s = Files.newDirectoryStream(tmp)) {
                for (Path p : s) {
                    Files.deleteIfExists(p);
                }
            }
        }
        Files.createDirectories(tmp);
        for (int i = 0; i < 256; i++) {
            Files.createDirectories(dir.resolve(String.format("%02x", i)));
        }
    }

    Path path(BlockId id) {
        String hex = id.key().hex();
        return dir.resolve(hex.substring(0, 2)).resolve(hex + "-" + id.index());
    }

    /** Bytes a block file of {@code length} data bytes takes on disk, as the cache accounts it. */
    static long accounted(int length) {
        return roundUp(BlockFormat.fileSize(length));
    }

    static long roundUp(long size) {
        return (size + ALLOCATION_UNIT - 1) / ALLOCATION_UNIT * ALLOCATION_UNIT;
    }

    /**
     * Writes block {@code id} of {@code key} with the remaining bytes of {@code data}: temporary file, then
     * rename into place. A page-aligned block whose buffer allows it (direct, page-aligned, with room for the
     * padding: its bytes up to the next page boundary are written as padding and never read back) is written
     * with direct I/O. Leaves {@code data}'s position unchanged.
     *
     * @throws IOException on any failure (disk full included); nothing is left behind
     */
    void write(BlobKey key, BlockId id, ByteBuffer data) throws IOException {
        int length = data.remaining();
        ByteBuffer header = BlockFormat.header(key, id.index(), data.duplicate());
        ByteBuffer[] parts;
        boolean direct = false;
        if (BlockFormat.aligned(length)) {
            int padded = BlockFormat.roundUp(length);
            if (directIo && BlockFormat.directIoReady(data) && data.capacity() - data.position() >= padded) {
                parts = new ByteBuffer[] {header, data.duplicate().limit(data.position() + padded)};
                direct = true;
            } else {
                parts = new ByteBuffer[] {header, data.duplicate(), ByteBuffer.allocate(padded - length)};
            }
        } else {
            parts = new ByteBuffer[] {header, data.duplicate()};
        }
        Path t = tmp.resolve(Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        boolean done = false;
        try {
            try (FileChannel ch = open(t, direct, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                long remaining = 0;
                for (ByteBuffer b : parts) {
                    remaining += b.remaining();
                }
                while (remaining > 0) {
                    remaining -= ch.write(parts);
                }
            }
            Files.move(t, path(id), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            if (direct && directIo) {
                directTransfers.incrementAndGet();
            }
            done = true;
        } finally {
            if (!done) {
                Files.deleteIfExists(t);
            }
        }
    }

    /**
     * Opens a file, with direct I/O if asked and possible. The first time the file system refuses direct
     * I/O (tmpfs, some overlays), it is logged and not asked for again.
     */
    private FileChannel open(Path f, boolean direct, OpenOption... options) throws IOException {
        if (direct && directIo) {
            Set<OpenOption> withDirect = new HashSet<>(Arrays.asList(options));
            withDirect.add(ExtendedOpenOption.DIRECT);
            try {
                return FileChannel.open(f, withDirect);
            } catch (UnsupportedOperationException | FileSystemException e) {
                if (e instanceof FileSystemException fse && !String.valueOf(fse.getReason()).contains("Invalid argument")) {
                    throw fse;
                }
                directIo = false;
                LOG.info("block cache {}: the file system refuses direct I/O ({}); using buffered I/O", dir,
                        e.toString());
                if (withDirect.contains(StandardOpenOption.CREATE_NEW)) {
                    Files.deleteIfExists(f);
                }
            }
        }
        return FileChannel.open(f, options);
    }

    /**
     * Reads bytes {@code [from, from + dst.remaining())} of a block of {@code length} bytes into {@code dst},
     * checking the header and the checksum of every chunk touched. Reads straight into {@code dst} when the
     * range is whole chunks; otherwise through a per-thread buffer. Uses the page cache (small reads often
     * repeat). On success {@code dst}'s position is advanced; on failure its content is unspecified and its
     * position unchanged.
     *
     * @throws NoSuchFileException if the file is gone
     * @throws BlockFormat.CorruptBlock if the file is short, long, or fails a check
     */
    void read(BlobKey key, BlockId id, int length, int from, ByteBuffer dst)
            throws IOException, BlockFormat.CorruptBlock {
        int len = dst.remaining();
        if (from < 0 || len == 0 || from + len > length) {
            throw new IllegalArgumentException("range " + from + "+" + len + " of a block of " + length);
        }
        if (from == 0 && len == length && !BlockFormat.aligned(length)) {
            readSmall(key, id, length, dst);
            return;
        }
        int firstChunk = from >>> BlockFormat.CHUNK_SHIFT;
        int chunkStart = firstChunk << BlockFormat.CHUNK_SHIFT;
        int lastChunk = (from + len - 1) >>> BlockFormat.CHUNK_SHIFT;
        int chunkEnd = Math.min((lastChunk + 1) << BlockFormat.CHUNK_SHIFT, length);
        boolean straight = chunkStart == from && chunkEnd == from + len;
        ByteBuffer target = straight ? dst.slice(dst.position(), len) : scratch(chunkEnd - chunkStart);
        ByteBuffer header = ByteBuffer.allocate(BlockFormat.headerSize(length));
        try (FileChannel ch = FileChannel.open(path(id), StandardOpenOption.READ)) {
            checkSize(ch, length);
            readFully(ch, header, 0);
            BlockFormat.check(header.flip(), key, id.index(), length);
            readFully(ch, target, BlockFormat.dataOffset(length) + (long) chunkStart);
        }
        target.flip();
        BlockFormat.verify(header, firstChunk, target);
        if (!straight) {
            dst.put(dst.position(), target, from - chunkStart, len);
        }
        dst.position(dst.position() + len);
    }

    /**
     * A whole compact block (a small file) in one system call: the header, the data straight into
     * {@code dst}, and one byte more that must not exist, so a file too short or too long is caught without
     * asking for its size.
     */
    private void readSmall(BlobKey key, BlockId id, int length, ByteBuffer dst)
            throws IOException, BlockFormat.CorruptBlock {
        ByteBuffer header = ByteBuffer.allocate(BlockFormat.headerSize(length));
        ByteBuffer body = dst.slice(dst.position(), length);
        ByteBuffer probe = ByteBuffer.allocate(1);
        ByteBuffer[] parts = {header, body, probe};
        try (FileChannel ch = FileChannel.open(path(id), StandardOpenOption.READ)) {
            while (body.hasRemaining() || header.hasRemaining()) {
                if (ch.read(parts) < 0) {
                    throw new BlockFormat.CorruptBlock("file ends early");
                }
            }
            // A regular file returns fewer bytes than asked only at its end: an empty probe means the size is right.
            if (!probe.hasRemaining()) {
                throw new BlockFormat.CorruptBlock("file is longer than " + BlockFormat.fileSize(length) + " bytes");
            }
        }
        BlockFormat.check(header.flip(), key, id.index(), length);
        BlockFormat.verify(header, 0, body.flip());
        dst.position(dst.position() + length);
    }

    /**
     * Reads a whole block of {@code length} bytes into {@code dst} (from its position), checking the header
     * and every chunk; with direct I/O when the layout and {@code dst} allow it (direct, page-aligned, room
     * for the padding), bypassing the page cache. On success {@code dst}'s position is advanced by
     * {@code length}; on failure its content is unspecified and its position unchanged.
     */
    void readWhole(BlobKey key, BlockId id, int length, ByteBuffer dst) throws IOException, BlockFormat.CorruptBlock {
        int padded = BlockFormat.roundUp(length);
        boolean direct = BlockFormat.aligned(length) && BlockFormat.directIoReady(dst)
                && dst.capacity() - dst.position() >= padded;
        if (!direct) {
            read(key, id, length, 0, dst.duplicate().limit(dst.position() + length));
            dst.position(dst.position() + length);
            return;
        }
        ByteBuffer header = headerPages.get().clear();
        ByteBuffer body = dst.slice(dst.position(), padded);
        try (FileChannel ch = open(path(id), true, StandardOpenOption.READ)) {
            checkSize(ch, length);
            ByteBuffer[] parts = {header, body};
            long remaining = BlockFormat.PAGE + (long) padded;
            while (remaining > 0) {
                long n = ch.read(parts);
                if (n < 0) {
                    throw new BlockFormat.CorruptBlock("file ends early");
                }
                remaining -= n;
            }
        }
        BlockFormat.check(header.flip(), key, id.index(), length);
        BlockFormat.verify(header, 0, body.flip().limit(length));
        dst.position(dst.position() + length);
        if (directIo) {
            directTransfers.incrementAndGet();
        }
    }

    private static void checkSize(FileChannel ch, int length) throws IOException, BlockFormat.CorruptBlock {
        long size = ch.size();
        if (size != BlockFormat.fileSize(length)) {
            throw new BlockFormat.CorruptBlock("file is " + size + " bytes, expected " + BlockFormat.fileSize(length));
        }
    }

    private ByteBuffer scratch(int size) {
        ByteBuffer b = scratch.get();
        if (b.capacity() < size) {
            b = ByteBuffer.allocateDirect(Math.max(size, 256 * 1024));
            scratch.set(b);
        }
        return b.clear().limit(size);
    }

    private static void readFully(FileChannel ch, ByteBuffer dst, long position) throws IOException,
            BlockFormat.CorruptBlock {
        long pos = position;
        while (dst.hasRemaining()) {
            int n = ch.read(dst, pos);
            if (n < 0) {
                throw new BlockFormat.CorruptBlock("file ends early");
            }
            pos += n;
        }
    }

    /** Deletes a block file; a missing one is fine. */
    void delete(BlockId id) {
        try {
            Files.deleteIfExists(path(id));
        } catch (IOException e) {
            LOG.warn("cannot delete cache file {}: {}", path(id), e.toString());
        }
    }

    /**
     * Lists the block files on disk, oldest first by modification time. Deletes what cannot be a block
     * file: foreign names and files too small to hold a header.
     */
    List<Found> scan() throws IOException {
        List<Found> found = new ArrayList<>();
        try (DirectoryStream<Path> top = Files.newDirectoryStream(dir)) {
            for (Path sub : top) {
                String subName = sub.getFileName().toString();
                if (subName.equals(TMP) || !subName.matches("[0-9a-f]{2}") || !Files.isDirectory(sub)) {
                    continue;
                }
                try (DirectoryStream<Path> files = Files.newDirectoryStream(sub)) {
                    for (Path f : files) {
                        Found b = identify(f, subName);
                        if (b == null) {
                            LOG.info("removing unexpected file from the block cache: {}", f);
                            Files.deleteIfExists(f);
                        } else if (b.id() != null) {
                            found.add(b);
                        }
                    }
                }
            }
        }
        found.sort((a, b) -> Long.compare(a.modified, b.modified));
        return found;
    }

    private static Found identify(Path f, String subName) throws IOException {
        Matcher m = NAME.matcher(f.getFileName().toString());
        if (!m.matches() || !m.group(1).startsWith(subName)) {
            return null;
        }
        long index = Long.parseLong(m.group(2));
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(f, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return new Found(null, 0, 0);
        }
        if (!a.isRegularFile() || index > Integer.MAX_VALUE || a.size() < BlockFormat.minFileSize()) {
            return null;
        }
        String hex = m.group(1);
        BlockId id = new BlockId(Long.parseUnsignedLong(hex.substring(0, 16), 16),
                Long.parseUnsignedLong(hex.substring(16), 16), (int) index);
        return new Found(id, roundUp(a.size()), a.lastModifiedTime().toMillis());
    }

    /**
     * A block file found on disk.
     *
     * @param id       which block (null if the file vanished while scanning)
     * @param bytes    its accounted size
     * @param modified when it was written, in epoch milliseconds
     */
    record Found(BlockId id, long bytes, long modified) {
    }
}
