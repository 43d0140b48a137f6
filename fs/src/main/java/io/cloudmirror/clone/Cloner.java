package io.cloudmirror.clone;

import com.sun.nio.file.ExtendedOpenOption;
import io.cloudmirror.control.ControlProtocol.ManifestEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToLongFunction;

/**
 * Materializes a published tree (a manifest) as a plain, writable directory: the same paths, bytes and
 * modification times, index tags as {@code user.azindex.*} xattrs where the destination supports them.
 *
 * <p>Before anything is written it refuses a destination inside a mirror, a non-empty destination (unless
 * forced, or it holds an interrupted clone of the same source), and one without room for the files. Files are
 * copied in chunks by {@code parallelism} threads (each chunk read front to back through its own open of the
 * source), large files in several chunks at once, each into
 * {@code <name>.part}; a file is verified (size, and MD5 where the manifest has one, digested in order as its
 * chunks complete), given its tags and
 * mtime, renamed into place and recorded in the {@link CloneJournal}. A second run over an interrupted clone
 * skips the recorded files and redoes the rest. A file that fails is reported and left out; the others go on.
 *
 * <p>One run at a time per instance; {@link #progress()} may be read from any thread.
 */
public final class Cloner {

    /**
     * How a clone runs.
     *
     * @param parallelism reads in flight at once
     * @param chunkSize   bytes one read task copies
     * @param force       clone into a non-empty destination
     */
    public record Options(int parallelism, int chunkSize, boolean force) {
        public static final int DEFAULT_PARALLELISM = 8;
        /**
         * One read's worth: chunks of a large file then complete nearly in order, so its MD5, digested in order,
         * keeps up with the copy instead of waiting for the last round of chunks to end together.
         */
        public static final int DEFAULT_CHUNK = 8 << 20;

        /** All read buffers together, one per reading thread (direct memory, bounded like the heap). */
        static final int BUFFERS_BUDGET = 64 << 20;

        public Options {
            if (parallelism < 1 || chunkSize < 4096) {
                throw new IllegalArgumentException("parallelism >= 1 and chunkSize >= 4096 expected");
            }
        }

        /**
         * Bytes one read asks for: 8 MiB, less when so many reads run at once that their buffers together would
         * pass {@link #BUFFERS_BUDGET}.
         */
        int readSize() {
            return Math.max(64 << 10, Math.min(8 << 20, BUFFERS_BUDGET / parallelism)) & -ALIGNMENT;
        }
    }

    /** Where a run stands. */
    public record Progress(long filesDone, long files, long bytesDone, long bytes) {
    }

    /**
     * How a run ended.
     *
     * @param files     files in the tree
     * @param bytes     their size
     * @param copied    files copied by this run
     * @param resumed   files an earlier, interrupted run had already copied
     * @param failures  files that could not be copied, with why (empty: the clone is complete)
     * @param xattrs    whether the destination took the tag xattrs (true when there were none)
     */
    public record Report(long files, long bytes, long copied, long resumed, List<String> failures, boolean xattrs) {
    }

    /**
     * What direct I/O needs of buffers, offsets and lengths: the block size of the usual file systems. A
     * destination that needs more is written through the page cache.
     */
    static final int ALIGNMENT = 4096;

    /** One read buffer per pool thread, aligned for direct I/O. */
    private final ThreadLocal<ByteBuffer> buffers;

    private final CloneSource source;
    private final ExecutorService pool;
    private final Options options;
    private final List<Path> mirrors;
    private final ToLongFunction<Path> freeSpace;

    private final AtomicLong filesDone = new AtomicLong();
    private final AtomicLong bytesDone = new AtomicLong();
    private final AtomicLong writtenDirectly = new AtomicLong();
    private volatile long files;
    private volatile long bytes;

    /**
     * @param source    where contents come from
     * @param pool      runs the reads ({@code options.parallelism()} threads are enough)
     * @param options   how to run
     * @param mirrors   the mount points of running mirrors: a destination inside one is refused
     * @param freeSpace the bytes free for a new file at a directory
     */
    public Cloner(CloneSource source, ExecutorService pool, Options options, List<Path> mirrors,
                  ToLongFunction<Path> freeSpace) {
        this.source = source;
        this.pool = pool;
        this.options = options;
        this.mirrors = List.copyOf(mirrors);
        this.freeSpace = freeSpace;
        this.buffers = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(options.readSize() + ALIGNMENT)
                .alignedSlice(ALIGNMENT));
    }

    /** Files this instance wrote with direct I/O (for tests). */
    long writtenDirectly() {
        return writtenDirectly.get();
    }

    public Progress progress() {
        return new Progress(filesDone.get(), files, bytesDone.get(), bytes);
    }

    /**
     * Clones {@code entries} (a whole published tree; {@code ""} is its root) of source {@code sourceId} into
     * {@code dest}.
     *
     * @throws CloneException when the destination is refused (nothing was written then)
     */
    public Report run(String sourceId, List<ManifestEntry> entries, Path dest) throws IOException, InterruptedException {
        Path target = dest.toAbsolutePath().normalize();
        List<ManifestEntry> fileEntries = new ArrayList<>();
        List<ManifestEntry> dirs = new ArrayList<>();
        for (ManifestEntry e : entries) {
            (e.directory() ? dirs : fileEntries).add(e);
        }
        fileEntries.sort(Comparator.comparing(ManifestEntry::path));
        boolean resuming = preflight(sourceId, target, fileEntries);
        Files.createDirectories(target);
        try (CloneJournal journal = CloneJournal.open(target, sourceId)) {
            long total = 0;
            for (ManifestEntry e : fileEntries) {
                total += e.size();
            }
            files = fileEntries.size();
            bytes = total;
            for (ManifestEntry d : dirs) {
                if (!d.path().isEmpty()) {
                    Files.createDirectories(target.resolve(d.path()));
                }
            }
            List<String> failures = Collections.synchronizedList(new ArrayList<>());
            AtomicBoolean xattrs = new AtomicBoolean(true);
            AtomicLong resumed = new AtomicLong();
            Semaphore inFlight = new Semaphore(options.parallelism());
            AtomicInteger pending = new AtomicInteger(1);
            Object allDone = new Object();
            for (ManifestEntry e : fileEntries) {
                Path out = target.resolve(e.path());
                if (resuming && journal.done(e.path(), e.etag()) && Files.isRegularFile(out, LinkOption.NOFOLLOW_LINKS)
                        && Files.size(out) == e.size()) {
                    resumed.incrementAndGet();
                    filesDone.incrementAndGet();
                    bytesDone.addAndGet(e.size());
                    continue;
                }
                pending.incrementAndGet();
                new FileJob(e, out, journal, failures, xattrs, inFlight, () -> {
                    if (pending.decrementAndGet() == 0) {
                        synchronized (allDone) {
                            allDone.notifyAll();
                        }
                    }
                }).start();
            }
            synchronized (allDone) {
                if (pending.decrementAndGet() != 0) {
                    while (pending.get() != 0) {
                        allDone.wait();
                    }
                }
            }
            // directories last, deepest first: creating their files changed their times
            dirs.sort(Comparator.comparingInt((ManifestEntry d) -> depth(d.path())).reversed());
            for (ManifestEntry d : dirs) {
                Path p = d.path().isEmpty() ? target : target.resolve(d.path());
                Files.setLastModifiedTime(p, FileTime.fromMillis(d.mtimeMillis()));
            }
            List<String> failed = List.copyOf(failures);
            if (failed.isEmpty()) {
                journal.finish();
                // removing the journal touched the root: put its time back
                for (ManifestEntry d : dirs) {
                    if (d.path().isEmpty()) {
                        Files.setLastModifiedTime(target, FileTime.fromMillis(d.mtimeMillis()));
                    }
                }
            }
            return new Report(files, bytes, files - resumed.get() - failed.size(), resumed.get(), failed, xattrs.get());
        }
    }

    /**
     * Checks the destination, writing nothing; returns whether it holds an interrupted clone of this source to
     * resume.
     */
    private boolean preflight(String sourceId, Path target, List<ManifestEntry> fileEntries) throws IOException {
        Path existing = target;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            throw new CloneException("no existing directory above " + target);
        }
        Path real = existing.toRealPath();
        for (Path m : mirrors) {
            if (real.startsWith(m) || target.startsWith(m)) {
                throw new CloneException(target + " is inside the cloudmirror mount " + m
                        + ", which is read-only; clone to a directory outside the mirror");
            }
        }
        boolean resuming = false;
        if (existing.equals(target)) {
            if (!Files.isDirectory(target)) {
                throw new CloneException(target + " exists and is not a directory");
            }
            String journalSource = CloneJournal.sourceOf(target);
            if (journalSource != null) {
                if (!journalSource.equals(sourceId)) {
                    throw new CloneException(target + " holds an interrupted clone of " + journalSource
                            + ", not of " + sourceId + "; finish that one or clone into another directory");
                }
                resuming = true;
            } else if (!options.force()) {
                int n = 0;
                try (DirectoryStream<Path> s = Files.newDirectoryStream(target)) {
                    for (Path ignored : s) {
                        n++;
                    }
                }
                if (n > 0) {
                    throw new CloneException(target + " is not empty (" + n + " entries); clone into an empty or "
                            + "new directory, or pass --force to write into it anyway");
                }
            }
        }
        Map<String, String> done = resuming ? CloneJournal.read(target) : Map.of();
        long need = 0;
        for (ManifestEntry e : fileEntries) {
            if (e.etag() == null || !e.etag().equals(done.get(e.path()))) {
                need += e.size();
            }
        }
        long free = freeSpace.applyAsLong(existing);
        if (need > free) {
            throw new CloneException(target + " lacks space: the clone needs " + need + " bytes, "
                    + existing + " has " + free + " bytes free");
        }
        return resuming;
    }

    private static int depth(String path) {
        return path.isEmpty() ? 0 : path.split("/", -1).length;
    }

    /** Copies one file: its chunks in parallel, then verify, tag, time and rename by the last chunk to end. */
    private final class FileJob {
        private final ManifestEntry entry;
        private final Path out;
        private final Path part;
        private final CloneJournal journal;
        private final List<String> failures;
        private final AtomicBoolean xattrs;
        private final Semaphore inFlight;
        private final Runnable done;
        private final AtomicInteger chunksLeft = new AtomicInteger();
        private volatile Throwable error;
        /** The MD5 of the chunks copied so far, in order, when the manifest has one to check; else null. */
        private final MessageDigest digest;
        /** Guarded by this: which chunks are copied, the next to digest, and whether a thread digests now. */
        private boolean[] copied;
        private int nextToDigest;
        private boolean digesting;
        private FileChannel channel;
        /** Reads chunks back for the MD5: the channel itself, or a buffered one when it writes directly. */
        private FileChannel readBack;
        /** Whether {@link #channel} writes with {@code O_DIRECT}: whole aligned blocks, the last one padded. */
        private boolean direct;

        FileJob(ManifestEntry entry, Path out, CloneJournal journal, List<String> failures, AtomicBoolean xattrs,
                Semaphore inFlight, Runnable done) {
            this.entry = entry;
            this.out = out;
            this.part = out.resolveSibling(out.getFileName() + ".part");
            this.journal = journal;
            this.failures = failures;
            this.xattrs = xattrs;
            this.inFlight = inFlight;
            this.done = done;
            this.digest = entry.md5() == null ? null : newMd5();
        }

        /**
         * Opens the target and queues the chunks; waits for room in the read window. Each chunk reads through
         * its own open of the source, front to back, so the source sees sequential reads it can read ahead of.
         */
        void start() throws InterruptedException {
            long size = entry.size();
            int chunks = (int) Math.max(1, (size + options.chunkSize() - 1) / options.chunkSize());
            chunksLeft.set(chunks);
            copied = new boolean[chunks];
            try {
                Files.createDirectories(out.getParent());
                openPart();
            } catch (IOException | RuntimeException e) {
                error = e;
                finish();
                return;
            }
            for (int i = 0; i < chunks; i++) {
                int index = i;
                long from = (long) i * options.chunkSize();
                long to = Math.min(size, from + options.chunkSize());
                inFlight.acquire();
                pool.execute(() -> {
                    try {
                        if (error == null) {
                            ByteBuffer whole;
                            try (CloneSource.Reader reader = source.open(entry)) {
                                whole = copy(reader, from, to);
                            }
                            digestInOrder(index, whole);
                        }
                    } catch (Throwable t) {
                        error = t;
                    } finally {
                        inFlight.release();
                        if (chunksLeft.decrementAndGet() == 0) {
                            finish();
                        }
                    }
                });
            }
        }

        /**
         * Large files are written around the page cache ({@code O_DIRECT}): copying each byte into a new page of
         * the cache is the biggest CPU cost of a clone, and the bytes are seldom read again soon. Files smaller
         * than a chunk, and destinations that refuse direct I/O (some FUSE and network file systems, tmpfs before
         * Linux 6.6) or need a larger alignment, are written through the page cache.
         */
        private void openPart() throws IOException {
            if (entry.size() >= options.chunkSize() && options.chunkSize() % ALIGNMENT == 0) {
                try {
                    channel = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                            StandardOpenOption.TRUNCATE_EXISTING, ExtendedOpenOption.DIRECT);
                    if (ALIGNMENT % Files.getFileStore(part).getBlockSize() == 0) {
                        readBack = FileChannel.open(part, StandardOpenOption.READ);
                        direct = true;
                        writtenDirectly.incrementAndGet();
                        return;
                    }
                    channel.close();
                } catch (IOException | UnsupportedOperationException e) {
                    if (channel != null) {
                        channel.close();
                    }
                }
            }
            channel = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
            readBack = channel;
        }

        /**
         * Copies bytes {@code [from, to)}; returns the buffer holding them all (from its start) when one read's
         * worth covered them, else null. Written directly, each buffer is filled before it is written, its
         * length rounded up to the alignment at the end of the file ({@link #finish} cuts the padding).
         */
        private ByteBuffer copy(CloneSource.Reader reader, long from, long to) throws IOException {
            ByteBuffer buf = buffers.get();
            long pos = from;
            int fills = 0;
            while (pos < to) {
                buf.clear().limit((int) Math.min(buf.capacity(), to - pos));
                do {
                    int n = reader.read(buf, pos + buf.position());
                    if (n <= 0) {
                        throw new CloneException("ended after " + (pos + buf.position()) + " of " + entry.size()
                                + " bytes");
                    }
                } while (direct && buf.hasRemaining());
                int n = buf.position();
                buf.flip();
                if (direct && n % ALIGNMENT != 0) {
                    buf.limit(Math.min(buf.capacity(), (n + ALIGNMENT - 1) & -ALIGNMENT));
                }
                long at = pos;
                while (buf.hasRemaining()) {
                    at += channel.write(buf, at);
                }
                buf.limit(n);
                pos += n;
                fills++;
                bytesDone.addAndGet(n);
            }
            return fills == 1 ? buf.position(0) : null;
        }

        /**
         * Marks chunk {@code index} copied and digests every copied chunk that is next in order: from
         * {@code whole} (the chunk's bytes, or null) when it is this one, else reading it back from the target.
         * So the MD5 is ready when the last chunk is. One thread digests at a time; the others only mark their
         * chunk.
         */
        private void digestInOrder(int index, ByteBuffer whole) throws IOException {
            if (digest == null) {
                return;
            }
            synchronized (this) {
                copied[index] = true;
                if (digesting) {
                    return;
                }
                digesting = true;
            }
            ByteBuffer buf = buffers.get();
            while (true) {
                int k;
                synchronized (this) {
                    if (nextToDigest >= copied.length || !copied[nextToDigest]) {
                        digesting = false;
                        return;
                    }
                    k = nextToDigest;
                }
                if (k == index && whole != null) {
                    digest.update(whole);
                } else {
                    long pos = (long) k * options.chunkSize();
                    long end = Math.min(entry.size(), pos + options.chunkSize());
                    while (pos < end) {
                        buf.clear().limit((int) Math.min(buf.capacity(), end - pos));
                        int n = readBack.read(buf, pos);
                        if (n <= 0) {
                            throw new CloneException("the copy ended at " + pos + " while checking its MD5");
                        }
                        buf.flip();
                        digest.update(buf);
                        pos += n;
                    }
                }
                synchronized (this) {
                    nextToDigest++;
                }
            }
        }

        private void finish() {
            try {
                if (direct && error == null && channel.size() > entry.size()) {
                    channel.truncate(entry.size()); // the last block's padding
                }
                closeQuietly();
                if (error == null) {
                    verifyAndPlace();
                }
            } catch (Throwable t) {
                error = t;
            }
            if (error != null) {
                String why = error.getMessage() == null ? error.toString() : error.getMessage();
                failures.add(entry.path() + ": " + why);
                try {
                    Files.deleteIfExists(part);
                } catch (IOException ignored) {
                    // left for the next run, which truncates it
                }
            } else {
                filesDone.incrementAndGet();
            }
            done.run();
        }

        private void closeQuietly() {
            try {
                if (readBack != null && readBack != channel) {
                    readBack.close();
                }
                if (channel != null) {
                    channel.close();
                }
            } catch (IOException e) {
                error = error == null ? e : error;
            }
        }

        private void verifyAndPlace() throws IOException {
            long size = Files.size(part);
            if (size != entry.size()) {
                throw new CloneException("copied " + size + " bytes, expected " + entry.size());
            }
            if (digest != null) {
                String md5 = HexFormat.of().formatHex(digest.digest());
                if (!md5.equalsIgnoreCase(entry.md5())) {
                    throw new CloneException("MD5 " + md5 + " differs from the blob's Content-MD5 " + entry.md5());
                }
            }
            Map<String, String> tags = entry.tags();
            if (tags != null && !tags.isEmpty() && xattrs.get()) {
                UserDefinedFileAttributeView view = Files.getFileAttributeView(part, UserDefinedFileAttributeView.class);
                try {
                    if (view == null) {
                        throw new IOException("no user xattrs");
                    }
                    for (Map.Entry<String, String> t : tags.entrySet()) {
                        view.write("azindex." + t.getKey(), ByteBuffer.wrap(t.getValue().getBytes(StandardCharsets.UTF_8)));
                    }
                } catch (IOException | UnsupportedOperationException e) {
                    xattrs.set(false); // the destination cannot hold them: reported once, the copy goes on
                }
            }
            Files.setLastModifiedTime(part, FileTime.fromMillis(entry.mtimeMillis()));
            if (Files.isDirectory(out, LinkOption.NOFOLLOW_LINKS)) {
                throw new FileAlreadyExistsException(out + " is a directory in the destination");
            }
            Files.move(part, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            journal.record(entry.path(), entry.etag() == null ? "" : entry.etag());
        }
    }

    private static MessageDigest newMd5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
