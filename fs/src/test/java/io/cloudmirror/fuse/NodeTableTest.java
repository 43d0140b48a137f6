package io.cloudmirror.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class NodeTableTest {

    @Test
    void theRootIsNodeOneAndChildrenGetPaths() {
        NodeTable t = new NodeTable();
        assertEquals("/", t.path(NodeTable.ROOT));
        assertEquals("/a", t.child(NodeTable.ROOT, "a"));
        long a = t.ref("/a", true);
        assertEquals("/a/b.txt", t.child(a, "b.txt"));
        assertNull(t.child(999, "x"), "an unknown parent has no children");
        assertEquals(NodeTable.ROOT, t.ref("/", true));
    }

    @Test
    void parentAndNameUndoJoin() {
        for (String[] dn : new String[][] {{"/", "a"}, {"/a", "b.txt"}, {"/a/b c", "d e.txt"}}) {
            String p = NodeTable.join(dn[0], dn[1]);
            assertEquals(dn[0], NodeTable.parent(p), p);
            assertEquals(dn[1], NodeTable.name(p), p);
        }
    }

    @Test
    void aNodeLivesUntilTheKernelForgetsEveryReference() {
        NodeTable t = new NodeTable();
        long a = t.ref("/a", false);
        assertEquals(a, t.ref("/a", false), "the same path, the same node");
        t.forget(a, 1);
        assertEquals("/a", t.path(a), "one reference left");
        t.forget(a, 1);
        assertNull(t.path(a));
        assertEquals(0, t.size());
        long again = t.ref("/a", false);
        assertNotEquals(a, again, "ids are never reused");
        t.forget(a, 5);
        assertEquals("/a", t.path(again), "forgetting a gone node does not touch the new one");
    }

    @Test
    void forgetsAddUpAsTheKernelBatchesThem() {
        NodeTable t = new NodeTable();
        long a = 0;
        for (int i = 0; i < 7; i++) {
            a = t.ref("/x", false);
        }
        t.forget(a, 6);
        assertEquals("/x", t.path(a));
        t.forget(a, 1);
        assertNull(t.path(a));
    }

    @Test
    void directoriesUnderASubtreeOnly() {
        NodeTable t = new NodeTable();
        long s = t.ref("/sub", true);
        long d = t.ref("/sub/d", true);
        t.ref("/sub/d/f", false);
        t.ref("/subway", true);
        t.ref("/other/d", true);
        assertEquals(List.of(s, d), t.directoriesUnder("/sub").stream().sorted().toList());
    }

    @Test
    void concurrentReferencesAndForgetsBalance() throws Exception {
        NodeTable t = new NodeTable();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new java.util.ArrayList<>();
            for (int w = 0; w < 4; w++) {
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 10_000; i++) {
                        long id = t.ref("/p" + (i % 10), false);
                        t.forget(id, 1);
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(0, t.size(), "every reference was forgotten");
    }
}
