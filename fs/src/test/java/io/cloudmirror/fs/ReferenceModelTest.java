package io.cloudmirror.fs;

import static org.junit.jupiter.api.Assertions.assertThrows;

import io.cloudmirror.origin.BackendConnection;
import io.cloudmirror.origin.OriginException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.stateful.Action;
import net.jqwik.api.stateful.ActionSequence;

/**
 * Reference-model property test of the core: random sequences of cloud puts, overwrites and deletes, syncs
 * (some failing: the cloud unreachable, or the listing cut part way), restarts, opens held across all of that,
 * and reads (some with a cloud fault), run against the FUSE-free core with the in-memory origin
 * ({@link MirrorHarness}). After every step the visible tree and every byte must be what a simple model says:
 * the tree of the last successful sync, under the tree rules; each read returns exactly the bytes of the
 * version the file was opened on, or ESTALE only when the cloud no longer holds that version, or EIO only while
 * a cloud fault is armed. Never other bytes.
 *
 * <p>Tries: {@code jqwik.tries.default} in {@code junit-platform.properties} (40 for CI); more with
 * {@code -Djqwik.tries.default=2000}. A failure prints the shrunk sequence and its seed; each one found is kept
 * below as a named example.
 */
class ReferenceModelTest {

    /** Names over a tiny alphabet, so that overwrites, shadowing (a beside a/b) and markers happen often. */
    private static Arbitrary<String> names() {
        Arbitrary<String> component = Arbitraries.of("a", "b", "c");
        Arbitrary<String> valid = component.list().ofMinSize(1).ofMaxSize(3).map(l -> String.join("/", l));
        Arbitrary<String> hostile = Arbitraries.of("a//b", "./a", "a/..", "/a", "b/./c", "..", "a/", "b/c/", "c//");
        return Arbitraries.frequencyOf(Tuple.of(8, valid), Tuple.of(1, hostile),
                Tuple.of(1, valid.map(v -> v + "/")));
    }

    private static Arbitrary<Action<MirrorHarness>> action(Arbitrary<? extends Action<MirrorHarness>> a) {
        return a.map(x -> x);
    }

    /** Sizes around the 64 KiB block boundaries, and some arbitrary ones. */
    private static Arbitrary<Integer> sizes() {
        return Arbitraries.oneOf(Arbitraries.of(0, 1, 65_535, 65_536, 65_537, 131_072),
                Arbitraries.integers().between(0, 200_000));
    }

    @Provide
    Arbitrary<ActionSequence<MirrorHarness>> actions() {
        Arbitrary<Integer> pick = Arbitraries.integers().between(0, 1000);
        return Arbitraries.sequences(Arbitraries.frequencyOf(
                Tuple.of(30, action(Combinators.combine(names(), sizes(), Arbitraries.integers()).as(Put::new))),
                Tuple.of(8, action(pick.map(Delete::new))),
                Tuple.of(18, action(Arbitraries.just(new Sync()))),
                Tuple.of(8, action(Combinators.combine(Arbitraries.of(Failure.values()),
                        Arbitraries.integers().between(0, 20)).as(FailingSync::new))),
                Tuple.of(5, action(Arbitraries.just(new Restart()))),
                Tuple.of(10, action(pick.map(Open::new))),
                Tuple.of(5, action(pick.map(Close::new))),
                Tuple.of(8, action(pick.map(FaultyRead::new))))).ofSize(30);
    }

    @Property
    void theCoreAlwaysShowsTheLastSuccessfulSyncAndNeverAWrongByte(
            @ForAll("actions") ActionSequence<MirrorHarness> actions) throws Exception {
        try (MirrorHarness h = new MirrorHarness()) {
            actions.run(h);
        }
    }

    // ---- scenarios kept as examples (shrunk failures found by the property go here too, by name) ---

    @Example
    void aHandleOpenAcrossOverwriteSyncAndEvictionReadsItsVersionOrIsStale() throws Exception {
        run(new Put("a/b", 131_072, 1), new Sync(), new Open(0), new Put("a/b", 65_537, 2), new Sync(),
                new Put("c", 200_000, 3), new Put("b", 200_000, 4), new Sync(), new Close(0));
    }

    @Example
    void aFileBesideItsDirectoryLosesAndComesBackWhenTheDirectoryGoes() throws Exception {
        run(new Put("a", 10, 1), new Put("a/b", 10, 2), new Sync(), new Delete(1), new Sync(), new Restart());
    }

    @Example
    void aListingCutPartWayLeavesThePublishedTreeWhole() throws Exception {
        run(new Put("a", 70_000, 1), new Put("b", 5, 2), new Sync(), new Put("c", 1, 3), new Delete(0),
                new FailingSync(Failure.LISTING_CUT, 1), new Restart(), new FailingSync(Failure.UNREACHABLE, 0),
                new Sync());
    }

    @SafeVarargs
    private static void run(Action<MirrorHarness>... steps) throws Exception {
        try (MirrorHarness h = new MirrorHarness()) {
            for (Action<MirrorHarness> a : steps) {
                if (a.precondition(h)) {
                    a.run(h);
                }
            }
        }
    }

    // ---- actions -----------------------------------------------------------------------------------

    /** A cloud put (new blob or overwrite). */
    record Put(String name, int size, int seed) implements Action<MirrorHarness> {
        @Override
        public MirrorHarness run(MirrorHarness h) {
            byte[] b = new byte[name.endsWith("/") ? 0 : size];
            new Random(seed).nextBytes(b);
            String etag = h.cloud.put(name, b);
            h.cloudModel.put(name, new MirrorHarness.Version(b, etag));
            return checked(h);
        }
    }

    /** A cloud delete of one of the blobs there. */
    record Delete(int pick) implements Action<MirrorHarness> {
        @Override
        public boolean precondition(MirrorHarness h) {
            return !h.cloudModel.isEmpty();
        }

        @Override
        public MirrorHarness run(MirrorHarness h) {
            String name = new ArrayList<>(h.cloudModel.keySet()).get(pick % h.cloudModel.size());
            h.cloud.delete(name);
            h.cloudModel.remove(name);
            return checked(h);
        }
    }

    /** A sync that succeeds: the tree becomes the cloud's. */
    record Sync() implements Action<MirrorHarness> {
        @Override
        public MirrorHarness run(MirrorHarness h) {
            try {
                h.syncer.syncNow();
            } catch (Exception e) {
                throw new AssertionError("sync failed", e);
            }
            h.published = Map.copyOf(new TreeMap<>(h.cloudModel));
            return checked(h);
        }
    }

    enum Failure { UNREACHABLE, LISTING_CUT }

    /** A sync that fails (the cloud unreachable, or the listing cut after some blobs): the tree stays. */
    record FailingSync(Failure how, int after) implements Action<MirrorHarness> {
        @Override
        public MirrorHarness run(MirrorHarness h) {
            if (how == Failure.UNREACHABLE) {
                h.cloud.setState(BackendConnection.DISCONNECTED);
            } else {
                h.origin.failNextListingAfter(after);
            }
            try {
                assertThrows(OriginException.class, h.syncer::syncNow);
            } finally {
                h.cloud.setState(BackendConnection.CONNECTED);
            }
            return checked(h);
        }
    }

    /** The daemon restarts: everything closed and opened again on the same directories. */
    record Restart() implements Action<MirrorHarness> {
        @Override
        public MirrorHarness run(MirrorHarness h) {
            h.shutdown();
            try {
                h.open();
            } catch (Exception e) {
                throw new AssertionError("reopen failed", e);
            }
            return checked(h);
        }
    }

    /** Opens a file of the tree and keeps it open (at most four at a time). */
    record Open(int pick) implements Action<MirrorHarness> {
        @Override
        public boolean precondition(MirrorHarness h) {
            return h.held.size() < 4 && !h.expectedFiles().isEmpty();
        }

        @Override
        public MirrorHarness run(MirrorHarness h) {
            List<Map.Entry<String, MirrorHarness.Version>> files = new ArrayList<>(h.expectedFiles().entrySet());
            Map.Entry<String, MirrorHarness.Version> f = files.get(pick % files.size());
            try {
                long fh = h.fs.open(MirrorHarness.SUB + "/" + f.getKey(), 0).fh();
                h.held.add(new MirrorHarness.Held(fh, f.getKey(), f.getValue()));
            } catch (FsException e) {
                throw new AssertionError("open " + f.getKey(), e);
            }
            return checked(h);
        }
    }

    /** Closes one of the files kept open. */
    record Close(int pick) implements Action<MirrorHarness> {
        @Override
        public boolean precondition(MirrorHarness h) {
            return !h.held.isEmpty();
        }

        @Override
        public MirrorHarness run(MirrorHarness h) {
            MirrorHarness.Held held = h.held.remove(pick % h.held.size());
            h.fs.release(held.fh());
            return checked(h);
        }
    }

    /** A read while the cloud drops the next request: right bytes, or EIO (or ESTALE as always), never others. */
    record FaultyRead(int pick) implements Action<MirrorHarness> {
        @Override
        public boolean precondition(MirrorHarness h) {
            return !h.expectedFiles().isEmpty();
        }

        @Override
        public MirrorHarness run(MirrorHarness h) {
            List<Map.Entry<String, MirrorHarness.Version>> files = new ArrayList<>(h.expectedFiles().entrySet());
            Map.Entry<String, MirrorHarness.Version> f = files.get(pick % files.size());
            h.origin.failNextReads(1);
            try {
                h.readWhole(f.getKey(), f.getValue(), true);
            } catch (Exception e) {
                throw new AssertionError("read " + f.getKey(), e);
            } finally {
                h.origin.failNextReads(0);
            }
            return checked(h);
        }
    }

    private static MirrorHarness checked(MirrorHarness h) {
        try {
            h.check();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        return h;
    }
}
