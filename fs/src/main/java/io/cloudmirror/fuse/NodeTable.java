package io.cloudmirror.fuse;

import io.cloudmirror.fs.MirrorFileSystem;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The kernel's node ids and the paths they stand for, with the kernel's lookup count of each, as FUSE's
 * low-level protocol needs them: a lookup (or a readdirplus entry) takes a reference, a forget drops
 * references, and a node whose count reaches zero is gone. Node 1 is the mount root and is never forgotten.
 * Ids are never reused.
 *
 * <p>A file node may also stand for one version of its file ({@link #ref} with a version): a lookup that
 * finds another version then gets a new node, and the kernel a new inode, with pages and a size of that
 * version alone, while processes holding the old one keep reading it through the old node.
 *
 * <p>Thread-safe: every change to the nodes of one path happens inside the map compute of that path.
 */
final class NodeTable {

    static final long ROOT = 1;
    static final String ROOT_PATH = "/";

    private final ConcurrentHashMap<Long, Node> byId = new ConcurrentHashMap<>();
    /** Each path's newest node; older versions' nodes are only in {@link #byId} until forgotten. */
    private final ConcurrentHashMap<String, Node> byPath = new ConcurrentHashMap<>();
    private final AtomicLong nextId = new AtomicLong(ROOT + 1);

    /** One node: its path, the version it stands for (if any), and its lookup count. */
    private static final class Node {
        final long id;
        final String path;
        final MirrorFileSystem.Version version;
        volatile boolean directory;
        long lookups; // guarded by the byPath compute of path

        Node(long id, String path, MirrorFileSystem.Version version) {
            this.id = id;
            this.path = path;
            this.version = version;
        }
    }

    /** A file node standing for a version: its id, its path and that version. */
    record VersionNode(long id, String path, MirrorFileSystem.Version version) {
    }

    /** The path of {@code parent}'s entry {@code name}, or null when the kernel sent an unknown parent. */
    String child(long parent, String name) {
        String p = path(parent);
        return p == null ? null : join(p, name);
    }

    /** The path of entry {@code name} of directory {@code dir}. */
    static String join(String dir, String name) {
        return dir.equals(ROOT_PATH) ? ROOT_PATH + name : dir + "/" + name;
    }

    /** The directory of {@code path} (not the root): what {@link #join} took. */
    static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash == 0 ? ROOT_PATH : path.substring(0, slash);
    }

    /** The last name of {@code path} (not the root): what {@link #join} took. */
    static String name(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    /** The path of node {@code id}, or null if the kernel has forgotten it (or never had it). */
    String path(long id) {
        if (id == ROOT) {
            return ROOT_PATH;
        }
        Node n = byId.get(id);
        return n == null ? null : n.path;
    }

    /** The id of the newest node of {@code path}, or 0 if the kernel holds none. */
    long idOf(String path) {
        if (path.equals(ROOT_PATH)) {
            return ROOT;
        }
        Node n = byPath.get(path);
        return n == null ? 0 : n.id;
    }

    /** Takes one lookup reference on the node of {@code path} (making it if needed) and returns its id. */
    long ref(String path, boolean directory) {
        return ref(path, directory, null);
    }

    /**
     * Takes one lookup reference on the node of {@code path} standing for {@code version} ({@code null}: for
     * the path whatever its version), making it if needed, and returns its id.
     */
    long ref(String path, boolean directory, MirrorFileSystem.Version version) {
        if (path.equals(ROOT_PATH)) {
            return ROOT;
        }
        Node n = byPath.compute(path, (k, cur) -> {
            Node node = cur;
            if (cur == null || (version == null ? cur.version != null : !version.same(cur.version))) {
                node = new Node(nextId.getAndIncrement(), k, version);
                byId.put(node.id, node);
            }
            node.lookups++;
            node.directory = directory;
            return node;
        });
        return n.id;
    }

    /** The version node {@code id} stands for, or null (a directory, a node for any version, or forgotten). */
    MirrorFileSystem.Version version(long id) {
        Node n = byId.get(id);
        return n == null ? null : n.version;
    }

    /**
     * Drops {@code count} lookup references of node {@code id}; the node goes when none are left.
     *
     * @return true if it went
     */
    boolean forget(long id, long count) {
        Node n = byId.get(id);
        if (n == null) {
            return false;
        }
        boolean[] gone = {false};
        byPath.compute(n.path, (k, cur) -> {
            n.lookups -= count;
            if (n.lookups > 0) {
                return cur;
            }
            gone[0] = byId.remove(n.id) != null;
            return cur == n ? null : cur;
        });
        return gone[0];
    }

    /** How many nodes besides the root the kernel holds. */
    int size() {
        return byId.size();
    }

    /** The file nodes standing for a version at or below {@code path} (a path such as {@code /name}). */
    List<VersionNode> versionsUnder(String path) {
        List<VersionNode> found = new ArrayList<>();
        for (Node n : under(path)) {
            if (n.version != null) {
                found.add(new VersionNode(n.id, n.path, n.version));
            }
        }
        return found;
    }

    /** The ids of the directories at or below {@code path} (a path such as {@code /name}). */
    List<Long> directoriesUnder(String path) {
        List<Long> ids = new ArrayList<>();
        for (Node n : under(path)) {
            if (n.directory) {
                ids.add(n.id);
            }
        }
        return ids;
    }

    /** The nodes at or below {@code path}. */
    private List<Node> under(String path) {
        List<Node> found = new ArrayList<>();
        String below = path + "/";
        for (Node n : byId.values()) {
            if (n.path.equals(path) || n.path.startsWith(below)) {
                found.add(n);
            }
        }
        return found;
    }
}
