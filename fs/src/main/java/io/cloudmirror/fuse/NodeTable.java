package io.cloudmirror.fuse;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The kernel's node ids and the paths they stand for, with the kernel's lookup count of each, as FUSE's
 * low-level protocol needs them: a lookup (or a readdirplus entry) takes a reference, a forget drops
 * references, and a node whose count reaches zero is gone. Node 1 is the mount root and is never forgotten.
 * Ids are never reused. Thread-safe: each path's node changes only inside a map compute.
 */
final class NodeTable {

    static final long ROOT = 1;
    static final String ROOT_PATH = "/";

    private final ConcurrentHashMap<Long, Node> byId = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Node> byPath = new ConcurrentHashMap<>();
    private final AtomicLong nextId = new AtomicLong(ROOT + 1);

    /** One node: its path, whether it was a directory when last looked up, and its lookup count. */
    private static final class Node {
        final long id;
        final String path;
        volatile boolean directory;
        long lookups; // guarded by the byPath compute of path

        Node(long id, String path) {
            this.id = id;
            this.path = path;
        }
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

    /** The path of node {@code id}, or null if the kernel has forgotten it (or never had it). */
    String path(long id) {
        if (id == ROOT) {
            return ROOT_PATH;
        }
        Node n = byId.get(id);
        return n == null ? null : n.path;
    }

    /** Takes one lookup reference on the node of {@code path} (making it if needed) and returns its id. */
    long ref(String path, boolean directory) {
        if (path.equals(ROOT_PATH)) {
            return ROOT;
        }
        Node n = byPath.compute(path, (k, cur) -> {
            Node node = cur != null ? cur : new Node(nextId.getAndIncrement(), k);
            node.lookups++;
            node.directory = directory;
            if (cur == null) {
                byId.put(node.id, node);
            }
            return node;
        });
        return n.id;
    }

    /** Drops {@code count} lookup references of node {@code id}; the node goes when none are left. */
    void forget(long id, long count) {
        Node n = byId.get(id);
        if (n == null) {
            return;
        }
        byPath.computeIfPresent(n.path, (k, cur) -> {
            if (cur != n) {
                return cur;
            }
            cur.lookups -= count;
            if (cur.lookups > 0) {
                return cur;
            }
            byId.remove(cur.id);
            return null;
        });
    }

    /** How many nodes besides the root the kernel holds. */
    int size() {
        return byId.size();
    }

    /** The ids of the directories at or below {@code path} (a path such as {@code /name}). */
    List<Long> directoriesUnder(String path) {
        List<Long> ids = new ArrayList<>();
        String below = path + "/";
        for (Node n : byId.values()) {
            if (n.directory && (n.path.equals(path) || n.path.startsWith(below))) {
                ids.add(n.id);
            }
        }
        return ids;
    }
}
