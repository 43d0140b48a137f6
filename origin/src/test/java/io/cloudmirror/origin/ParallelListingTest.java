package io.cloudmirror.origin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InterruptedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ParallelListingTest {

    /** A container as a sorted set of names, listed in pages of {@code pageSize}, recording what is asked. */
    private static final class FakeService implements ParallelListing.Service {
        final TreeMap<String, BlobItem> blobs = new TreeMap<>();
        final int pageSize;
        final List<String> flatCalls = Collections.synchronizedList(new ArrayList<>());
        final Map<String, RuntimeException> failing = new ConcurrentHashMap<>();
        CountDownLatch together;

        FakeService(int pageSize, String... names) {
            this.pageSize = pageSize;
            for (String n : names) {
                blobs.put(n, new BlobItem(n, n.length(), Instant.EPOCH, "\"" + n + "\"", null, Map.of(), Map.of()));
            }
        }

        @Override
        public ParallelListing.Level level(String prefix) {
            List<BlobItem> here = new ArrayList<>();
            List<String> prefixes = new ArrayList<>();
            int entries = 0;
            for (String n : blobs.tailMap(prefix).keySet()) {
                if (!n.startsWith(prefix)) {
                    break;
                }
                int slash = n.indexOf('/', prefix.length());
                if (slash < 0) {
                    here.add(blobs.get(n));
                    entries++;
                } else if (!prefixes.contains(n.substring(0, slash + 1))) {
                    prefixes.add(n.substring(0, slash + 1));
                    entries++;
                }
            }
            boolean complete = entries <= pageSize;
            return new ParallelListing.Level(complete ? here : here.subList(0, Math.min(here.size(), pageSize)),
                    complete ? prefixes : List.of(), complete);
        }

        @Override
        public Iterable<List<BlobItem>> flat(String prefix) {
            flatCalls.add(prefix);
            RuntimeException fail = failing.get(prefix);
            if (fail != null) {
                throw fail;
            }
            if (together != null) {
                together.countDown();
                try {
                    assertTrue(together.await(10, TimeUnit.SECONDS), "two parts never listed at once");
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
            List<List<BlobItem>> pages = new ArrayList<>();
            List<BlobItem> page = new ArrayList<>();
            for (BlobItem b : blobs.tailMap(prefix).values()) {
                if (!b.name().startsWith(prefix)) {
                    break;
                }
                page.add(b);
                if (page.size() == pageSize) {
                    pages.add(page);
                    page = new ArrayList<>();
                }
            }
            if (!page.isEmpty()) {
                pages.add(page);
            }
            return pages;
        }
    }

    private static List<String> list(FakeService service, String prefix) throws Exception {
        List<String> out = new ArrayList<>();
        ParallelListing.list(prefix, service, 4, item -> out.add(item.name()));
        Collections.sort(out);
        return out;
    }

    private static String[] names() {
        List<String> n = new ArrayList<>(List.of("root.txt", "a", "z/", "a//b", "dir/x", "/lead"));
        for (int i = 0; i < 40; i++) {
            n.add("data/" + i % 7 + "/f" + i);
            n.add("logs/d" + i + ".log");
            n.add("z/" + i);
        }
        return n.toArray(String[]::new);
    }

    @Test
    void splitsTheFirstLevelIntoPartsAndDeliversEveryNameOnce() throws Exception {
        FakeService s = new FakeService(8, names());
        assertEquals(new ArrayList<>(s.blobs.keySet()), list(s, ""));
        List<String> calls = new ArrayList<>(s.flatCalls);
        Collections.sort(calls);
        assertEquals(List.of("/", "a/", "data/", "dir/", "logs/", "z/"), calls, "each sub-prefix once, never the root");

        FakeService under = new FakeService(8, names());
        assertEquals(under.blobs.subMap("data/", "data0").keySet().stream().toList(), list(under, "data/"));
        assertEquals(7, under.flatCalls.size(), "data/0/ to data/6/");
    }

    @Test
    void aLevelThatDoesNotSplitWellIsListedAsOneChain() throws Exception {
        FakeService big = new FakeService(3, names()); // the first level needs more than one page
        assertEquals(new ArrayList<>(big.blobs.keySet()), list(big, ""));
        assertEquals(List.of(""), big.flatCalls);

        FakeService flat = new FakeService(100, "a", "b", "c d");
        assertEquals(List.of("a", "b", "c d"), list(flat, ""));
        assertEquals(List.of(), flat.flatCalls, "a first level of one page and no sub-prefix is the whole listing");

        FakeService one = new FakeService(100, "only/a", "only/b", "only/c");
        assertEquals(List.of("only/a", "only/b", "only/c"), list(one, ""));
        assertEquals(List.of(""), one.flatCalls, "one sub-prefix: nothing to split");

        List<String> many = new ArrayList<>();
        for (int i = 0; i <= ParallelListing.MAX_PARTS; i++) {
            many.add("p" + i + "/x");
        }
        FakeService wide = new FakeService(1000, many.toArray(String[]::new));
        assertEquals(new ArrayList<>(wide.blobs.keySet()), list(wide, ""));
        assertEquals(List.of(""), wide.flatCalls, "more parts than requests worth making");
    }

    @Test
    void partsAreListedAtTheSameTime() throws Exception {
        FakeService s = new FakeService(8, names());
        s.together = new CountDownLatch(2);
        assertEquals(new ArrayList<>(s.blobs.keySet()), list(s, ""));
    }

    @Test
    void theFirstFailureStopsTheListingAndIsRethrownAsItWas() {
        FakeService s = new FakeService(8, names());
        IllegalStateException boom = new IllegalStateException("503 from logs/");
        s.failing.put("logs/", boom);
        assertSame(boom, assertThrows(IllegalStateException.class, () -> list(s, "")));

        FakeService t = new FakeService(8, names());
        UnsupportedOperationException mine = new UnsupportedOperationException("the sink's own failure");
        assertSame(mine, assertThrows(UnsupportedOperationException.class,
                () -> ParallelListing.list("", t, 4, item -> {
                    if (item.name().startsWith("z/")) {
                        throw mine;
                    }
                })));
    }

    @Test
    void anInterruptedCallerStopsTheWorkers() throws Exception {
        FakeService s = new FakeService(8, names());
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread caller = new Thread(() -> {
            try {
                ParallelListing.list("", s, 4, item -> Thread.currentThread().interrupt());
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        caller.start();
        caller.join(10_000);
        assertTrue(thrown.get() instanceof InterruptedIOException, String.valueOf(thrown.get()));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().startsWith("list-Thread"))
                && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().startsWith("list-Thread")),
                "workers stopped");
    }
}
