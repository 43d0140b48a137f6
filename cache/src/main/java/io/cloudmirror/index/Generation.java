package io.cloudmirror.index;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.BiPredicate;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.MapSegmentContext;

/**
 * One published, immutable tree: the memory-mapped maps of a generation directory.
 *
 * <p>Thread-safe for any number of concurrent readers. Lifetime is reference counted: the
 * {@link IndexStore} holds one reference while the generation is current, and every open handle holds
 * one more ({@link #tryAcquire()} / {@link #release()}). The maps are closed, and a retired generation's
 * files deleted, when the last reference goes. Using a generation after its last release fails loudly.
 */
public final class Generation {

    private final GenerationStats stats;
    private final Path dir;
    private final ChronicleMap<CharSequence, byte[]> nodes;
    private final ChronicleMap<Long, byte[]> children;
    private final Node emptyRoot;
    private final AtomicInteger refs = new AtomicInteger(1);
    private volatile boolean retired;

    private Generation(GenerationStats stats, Path dir, ChronicleMap<CharSequence, byte[]> nodes,
                       ChronicleMap<Long, byte[]> children, Node emptyRoot) {
        this.stats = stats;
        this.dir = dir;
        this.nodes = nodes;
        this.children = children;
        this.emptyRoot = emptyRoot;
    }

    /** The tree before any sync: an empty root directory. */
    static Generation empty(String salt) {
        Node root = Node.directory(Inodes.hash(salt, "", 0), Instant.EPOCH, 0, -1);
        return new Generation(GenerationStats.empty(), null, null, null, root);
    }

    /** Maps a published generation directory. */
    static Generation open(Path dir, boolean recover) throws IOException {
        GenerationStats stats = GenerationStats.read(dir);
        ChronicleMap<CharSequence, byte[]> nodes = ChronicleMaps.openNodes(dir.resolve(ChronicleMaps.NODES).toFile(),
                recover);
        try {
            ChronicleMap<Long, byte[]> children = ChronicleMaps.openChildren(
                    dir.resolve(ChronicleMaps.CHILDREN).toFile(), recover);
            Generation g = new Generation(stats, dir, nodes, children, null);
            if (g.lookup("") == null) {
                g.closeMaps();
                throw new IOException("index generation " + dir + " has no root");
            }
            return g;
        } catch (IOException | RuntimeException e) {
            if (nodes.isOpen()) {
                nodes.close();
            }
            throw e instanceof IOException io ? io : new IOException("cannot open index generation " + dir + ": " + e, e);
        }
    }

    /** The generation number (0 before the first sync). */
    public long number() {
        return stats.number();
    }

    public GenerationStats stats() {
        return stats;
    }

    /** The directory holding this generation's files, or {@code null} for the empty generation. */
    Path directory() {
        return dir;
    }

    /** The node at {@code path} (relative, {@code ""} for the root), or {@code null} if there is none. */
    public Node lookup(String path) {
        checkOpen();
        if (nodes == null) {
            return path.isEmpty() ? emptyRoot : null;
        }
        byte[] v = nodes.get(path);
        return v == null ? null : NodeCodec.decode(v);
    }

    /**
     * Visits the children of directory {@code dir} from position {@code from} on, in a stable order,
     * until {@code visitor} returns false. Costs one map lookup per child visited.
     */
    public void forEachChild(Node dir, int from, ChildVisitor visitor) {
        checkOpen();
        if (!dir.isDirectory()) {
            throw new IllegalArgumentException("not a directory");
        }
        for (int slot = Math.max(from, 0); slot < dir.childCount(); slot++) {
            byte[] v = children.get(ChronicleMaps.childKey(dir.dirId(), slot));
            if (v == null) {
                throw new IllegalStateException("index generation " + number() + " lacks child " + slot
                        + " of directory " + dir.dirId());
            }
            if (!visitor.visit(slot, NodeCodec.decodeChild(v))) {
                return;
            }
        }
    }

    /** Visits every node of the tree (root included) in no particular order. */
    public void forEachNode(BiConsumer<String, Node> visitor) {
        checkOpen();
        if (nodes == null) {
            visitor.accept("", emptyRoot);
            return;
        }
        nodes.forEachEntry(e -> visitor.accept(e.key().get().toString(), NodeCodec.decode(e.value().get())));
    }

    /** How many parts {@link #forEachNodeIn} splits the nodes into (the node map's segments). */
    public int nodeParts() {
        checkOpen();
        return nodes == null ? 1 : nodes.segments();
    }

    /**
     * Visits the nodes of part {@code part} (0 to {@link #nodeParts()} - 1) while {@code visitor} returns
     * true: a whole tree is visited once by visiting every part, and a caller can stop (or do slow work)
     * between parts without holding anything.
     *
     * @return false if the visitor stopped the visit
     */
    public boolean forEachNodeIn(int part, BiPredicate<String, Node> visitor) {
        checkOpen();
        if (nodes == null) {
            return part != 0 || visitor.test("", emptyRoot);
        }
        try (MapSegmentContext<CharSequence, byte[], ?> c = nodes.segmentContext(part)) {
            return c.forEachSegmentEntryWhile(
                    e -> visitor.test(e.key().get().toString(), NodeCodec.decode(e.value().get())));
        }
    }

    /** Takes a reference; false if the generation is already closed. */
    public boolean tryAcquire() {
        while (true) {
            int n = refs.get();
            if (n <= 0) {
                return false;
            }
            if (refs.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Drops a reference; the last one closes the maps, and deletes the files of a retired generation. */
    public void release() {
        int n = refs.decrementAndGet();
        if (n == 0) {
            closeMaps();
            if (retired && dir != null) {
                Durable.deleteTree(dir);
            }
        } else if (n < 0) {
            throw new IllegalStateException("generation " + number() + " released more often than acquired");
        }
    }

    /** Marks this generation superseded and drops the store's reference: its files go with the last handle. */
    void retire() {
        retired = true;
        release();
    }

    /** Whether the maps are still open. */
    public boolean isOpen() {
        return refs.get() > 0;
    }

    private void checkOpen() {
        if (refs.get() <= 0) {
            throw new IllegalStateException("index generation " + number() + " used after close");
        }
    }

    private void closeMaps() {
        if (nodes != null) {
            nodes.close();
            children.close();
        }
    }

    @Override
    public String toString() {
        return "Generation[" + number() + (dir == null ? "" : " at " + dir) + "]";
    }

    /** Receives directory entries. */
    @FunctionalInterface
    public interface ChildVisitor {
        /** Takes the child at {@code slot}; returns false to stop. */
        boolean visit(int slot, ChildEntry child);
    }

}
