package io.cloudmirror.index;

import io.cloudmirror.origin.BlobItem;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.openhft.chronicle.map.ChronicleMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the next generation beside the published one: listed blobs are spilled to a file as they
 * arrive (so memory stays flat however large the container), then {@link #build} sizes and fills the
 * Chronicle maps, applies the tree rules, writes the stats, syncs everything to disk and moves the
 * directory into place. Nothing becomes visible until {@link IndexStore#publish}.
 *
 * <p>Tree rules: names are split on {@code /}; prefixes and directory marker blobs make directories;
 * names that cannot be paths are skipped with a {@link SkipReason}; a file whose path is also a directory
 * is skipped as shadowed. Each skipped name is logged (the first few per reason) and counted, never fatal.
 *
 * <p>Not thread-safe: one thread feeds and builds. {@link #close()} discards an unbuilt generation.
 */
public final class GenerationBuilder implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GenerationBuilder.class);
    private static final int LOGGED_SKIPS_PER_REASON = 20;
    private static final String SPILL = "listing.spill";

    private final Path tmpDir;
    private final Path finalDir;
    private final long number;
    private final String salt;
    private final Generation previous;
    private final Runnable onClose;
    private DataOutputStream spill;
    private long listed;
    private long keyBytes;
    private long valueBytes;
    private long nameBytes;
    private boolean built;
    private boolean closed;

    GenerationBuilder(Path tmpDir, Path finalDir, long number, String salt, Generation previous, Runnable onClose)
            throws IOException {
        this.tmpDir = tmpDir;
        this.finalDir = finalDir;
        this.number = number;
        this.salt = salt;
        this.previous = previous;
        this.onClose = onClose;
        Files.createDirectories(tmpDir);
        this.spill = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmpDir.resolve(SPILL)), 1 << 16));
    }

    /** The number the generation will have when published. */
    public long number() {
        return number;
    }

    /** Blobs added so far. */
    public long listed() {
        return listed;
    }

    /** Records one listed blob. */
    public void add(BlobItem item) throws IOException {
        if (spill == null) {
            throw new IllegalStateException("generation already built");
        }
        byte[] name = item.name().getBytes(StandardCharsets.UTF_8);
        byte[] etag = item.etag().getBytes(StandardCharsets.UTF_8);
        byte[] md5 = item.contentMd5() == null ? new byte[0] : item.contentMd5();
        spill.writeInt(name.length);
        spill.write(name);
        spill.writeBoolean(item.isDirectoryMarker());
        spill.writeLong(item.size());
        spill.writeLong(item.lastModified().getEpochSecond());
        spill.writeInt(item.lastModified().getNano());
        spill.writeShort(etag.length);
        spill.write(etag);
        spill.writeByte(md5.length);
        spill.write(md5);
        int tagBytes = 0;
        spill.writeByte(item.tags().size());
        for (Map.Entry<String, String> t : item.tags().entrySet()) {
            byte[] k = t.getKey().getBytes(StandardCharsets.UTF_8);
            byte[] v = t.getValue().getBytes(StandardCharsets.UTF_8);
            spill.writeShort(k.length);
            spill.write(k);
            spill.writeShort(v.length);
            spill.write(v);
            tagBytes += 4 + k.length + v.length;
        }
        listed++;
        keyBytes += name.length;
        nameBytes += Math.min(name.length, 64);
        valueBytes += 40 + etag.length + md5.length + tagBytes;
    }

    /**
     * Builds the maps from everything added, syncs them to disk and moves them into their final
     * directory. The result can then be published.
     *
     * @param listedAt when the listing finished; becomes the generation's creation time
     */
    public Prepared build(Instant listedAt) throws IOException {
        if (spill == null) {
            throw new IllegalStateException("generation already built");
        }
        spill.close();
        spill = null;
        long expected = listed + listed / 2 + 16;
        double avgKey = listed == 0 ? 16 : (double) keyBytes / listed;
        double avgValue = listed == 0 ? 48 : (double) valueBytes / listed;
        double avgChild = listed == 0 ? 24 : 9 + (double) nameBytes / listed;
        Tree tree;
        try (ChronicleMap<CharSequence, byte[]> nodes = ChronicleMaps.createNodes(
                     tmpDir.resolve(ChronicleMaps.NODES).toFile(), expected, avgKey, avgValue);
             ChronicleMap<Long, byte[]> children = ChronicleMaps.createChildren(
                     tmpDir.resolve(ChronicleMaps.CHILDREN).toFile(), expected, avgChild)) {
            tree = new Tree(nodes, children, new Inodes(salt), previous);
            try (DataInputStream in = new DataInputStream(new BufferedInputStream(
                    Files.newInputStream(tmpDir.resolve(SPILL)), 1 << 16))) {
                for (Record r = Record.read(in); r != null; r = Record.read(in)) {
                    tree.add(r);
                }
            }
        }
        Files.delete(tmpDir.resolve(SPILL));
        GenerationStats stats = tree.stats(number, listedAt);
        stats.write(tmpDir);
        Durable.syncTree(tmpDir);
        Files.move(tmpDir, finalDir, StandardCopyOption.ATOMIC_MOVE);
        Durable.syncDirectory(finalDir.getParent());
        built = true;
        tree.logSkipSummary();
        return new Prepared(finalDir, stats);
    }

    /** Discards the generation unless it was built; releases the previous generation. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (spill != null) {
                spill.close();
            }
        } catch (IOException e) {
            LOG.debug("closing spill file", e);
        }
        if (!built) {
            Durable.deleteTree(tmpDir);
        }
        onClose.run();
    }

    /**
     * A built generation waiting to be published.
     *
     * @param directory where its files are
     * @param stats     what it holds
     */
    public record Prepared(Path directory, GenerationStats stats) {
    }

    /** One spilled listing record. */
    private record Record(String name, boolean marker, long size, Instant mtime, String etag, byte[] md5,
                          Map<String, String> tags) {

        static Record read(DataInputStream in) throws IOException {
            int nameLen;
            try {
                nameLen = in.readInt();
            } catch (EOFException end) {
                return null;
            }
            String name = utf8(in, nameLen);
            boolean marker = in.readBoolean();
            long size = in.readLong();
            Instant mtime = Instant.ofEpochSecond(in.readLong(), in.readInt());
            String etag = utf8(in, in.readUnsignedShort());
            int md5Len = in.readUnsignedByte();
            byte[] md5 = null;
            if (md5Len > 0) {
                md5 = in.readNBytes(md5Len);
            }
            int tagCount = in.readUnsignedByte();
            Map<String, String> tags = tagCount == 0 ? Map.of() : new HashMap<>();
            for (int i = 0; i < tagCount; i++) {
                String k = utf8(in, in.readUnsignedShort());
                tags.put(k, utf8(in, in.readUnsignedShort()));
            }
            return new Record(name, marker, size, mtime, etag, md5, tags);
        }

        private static String utf8(DataInputStream in, int len) throws IOException {
            return new String(in.readNBytes(len), StandardCharsets.UTF_8);
        }
    }

    /** The tree being filled: applies the rules and keeps the counts. */
    private static final class Tree {
        private final ChronicleMap<CharSequence, byte[]> nodes;
        private final ChronicleMap<Long, byte[]> children;
        private final Inodes inodes;
        private final Generation previous;
        private final EnumMap<SkipReason, Long> skipped = new EnumMap<>(SkipReason.class);
        private int nextDirId = 1;
        private long files;
        private long directories = 1;
        private long bytes;
        private long added;
        private long changed;
        private long unchanged;
        private long directoriesAdded;

        Tree(ChronicleMap<CharSequence, byte[]> nodes, ChronicleMap<Long, byte[]> children, Inodes inodes,
             Generation previous) {
            this.nodes = nodes;
            this.children = children;
            this.inodes = inodes;
            this.previous = previous;
            put("", Node.directory(inodes.assign(""), Instant.EPOCH, 0, -1));
        }

        void add(Record r) {
            String path = r.marker() && r.name().endsWith("/") ? r.name().substring(0, r.name().length() - 1)
                    : r.name();
            SkipReason reason = PathRules.check(path);
            if (reason != null) {
                skip(reason, r.name());
                return;
            }
            if (r.marker()) {
                ensureDirectory(path, r.mtime());
                return;
            }
            Node existing = get(path);
            if (existing != null) {
                if (existing.isDirectory()) {
                    skip(SkipReason.SHADOWED_BY_DIRECTORY, r.name());
                } else {
                    LOG.warn("blob {} listed twice; keeping the first", r.name());
                }
                return;
            }
            String parentPath = PathRules.parent(path);
            Node parent = ensureDirectory(parentPath, r.mtime());
            long ino = inodes.assign(path);
            int slot = parent.childCount();
            put(path, Node.file(ino, r.size(), r.mtime(), r.etag(), r.md5(), r.tags(), slot));
            putChild(parent, slot, new ChildEntry(PathRules.name(path), NodeKind.FILE, ino));
            put(parentPath, parent.withChild(false, r.mtime()));
            files++;
            bytes += r.size();
            diff(path, r.etag(), +1);
        }

        /** The directory at {@code path}, created (with missing ancestors) or converted from a file as needed. */
        private Node ensureDirectory(String path, Instant mtime) {
            List<String> missing = new ArrayList<>();
            Node n;
            String p = path;
            while (true) {
                n = get(p);
                if (n != null && n.isDirectory()) {
                    break;
                }
                missing.add(p);
                p = PathRules.parent(p);
            }
            String parentPath = p;
            for (int i = missing.size() - 1; i >= 0; i--) {
                String q = missing.get(i);
                n = makeDirectory(q, parentPath, n, mtime);
                parentPath = q;
            }
            return n;
        }

        private Node makeDirectory(String path, String parentPath, Node parent, Instant mtime) {
            Node existing = get(path);
            String name = PathRules.name(path);
            if (existing == null) {
                long ino = inodes.assign(path);
                int slot = parent.childCount();
                Node dir = Node.directory(ino, mtime, nextDirId++, slot);
                put(path, dir);
                putChild(parent, slot, new ChildEntry(name, NodeKind.DIRECTORY, ino));
                put(parentPath, parent.withChild(true, mtime));
                directoryCreated(path);
                return dir;
            }
            // A file is in the way: the directory wins, the file is skipped.
            skip(SkipReason.SHADOWED_BY_DIRECTORY, path);
            files--;
            bytes -= existing.size();
            diff(path, existing.etag(), -1);
            inodes.release(existing.inode());
            long ino = inodes.assign(path);
            Node dir = Node.directory(ino, mtime, nextDirId++, existing.slot());
            put(path, dir);
            putChild(parent, existing.slot(), new ChildEntry(name, NodeKind.DIRECTORY, ino));
            put(parentPath, parent.withChildBecameDirectory());
            directoryCreated(path);
            return dir;
        }

        private void directoryCreated(String path) {
            directories++;
            Node old = previous == null ? null : previous.lookup(path);
            if (old == null || !old.isDirectory()) {
                directoriesAdded++;
            }
        }

        private void diff(String path, String etag, int sign) {
            Node old = previous == null ? null : previous.lookup(path);
            if (old == null || old.isDirectory()) {
                added += sign;
            } else if (old.etag().equals(etag)) {
                unchanged += sign;
            } else {
                changed += sign;
            }
        }

        private Node get(String path) {
            byte[] v = nodes.get(path);
            return v == null ? null : NodeCodec.decode(v);
        }

        private void put(String path, Node n) {
            nodes.put(path, NodeCodec.encode(n));
        }

        private void putChild(Node dir, int slot, ChildEntry child) {
            children.put(ChronicleMaps.childKey(dir.dirId(), slot), NodeCodec.encodeChild(child));
        }

        private void skip(SkipReason reason, String name) {
            long n = skipped.merge(reason, 1L, Long::sum);
            if (n <= LOGGED_SKIPS_PER_REASON) {
                LOG.warn("skipping blob {}: {}", printable(name), reason.description());
            }
        }

        void logSkipSummary() {
            skipped.forEach((reason, n) -> {
                if (n > LOGGED_SKIPS_PER_REASON) {
                    LOG.warn("skipped {} blobs in all for: {} (only the first {} were logged)", n,
                            reason.description(), LOGGED_SKIPS_PER_REASON);
                }
            });
        }

        GenerationStats stats(long number, Instant createdAt) {
            long prevFiles = previous == null ? 0 : previous.stats().files();
            long prevDirectories = previous == null ? 1 : previous.stats().directories();
            long removed = Math.max(0, prevFiles - unchanged - changed);
            long directoriesRemoved = prevDirectories - (directories - directoriesAdded);
            boolean treeChanged = added + changed + removed + directoriesAdded + directoriesRemoved > 0;
            return new GenerationStats(number, createdAt, files, directories, bytes, skipped, added, changed, removed,
                    treeChanged);
        }
    }

    /** A name made safe for one log line: control characters escaped. */
    static String printable(String name) {
        StringBuilder sb = new StringBuilder(name.length() + 2).append('"');
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
                sb.append(String.format("\\x%02x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }
}
