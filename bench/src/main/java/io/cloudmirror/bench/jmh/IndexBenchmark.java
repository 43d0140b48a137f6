package io.cloudmirror.bench.jmh;

import io.cloudmirror.bench.SyntheticTree;
import io.cloudmirror.fs.Attributes;
import io.cloudmirror.fs.FsException;
import io.cloudmirror.fs.MirrorFileSystem;
import io.cloudmirror.fs.Ownership;
import io.cloudmirror.fs.Subvolume;
import io.cloudmirror.index.Generation;
import io.cloudmirror.index.GenerationBuilder;
import io.cloudmirror.index.IndexStore;
import io.cloudmirror.index.Node;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The index's hot paths, in process: a path lookup (hit and miss), the core's getattr (path resolution
 * plus lookup), a FUSE-sized readdir page and a whole 2,000-entry directory, over indexes of 100k and 1M
 * synthetic blobs; beside them, {@code stat} of a file on the local disk (warm), for a ratio.
 *
 * <p>Run: {@code bench/run-jmh.sh} (see docs/BENCHMARKS.md).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED", "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
    "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED", "-Dchronicle.analytics.disable=true",
    "-Dchronicle.announcer.disable=true", "-Xmx1g"})
public class IndexBenchmark {

    private static final int HOT = 2000;
    private static final int SAMPLE = 4096;

    @Param({"100000", "1000000"})
    public int blobs;

    private Path dir;
    private IndexStore store;
    private Generation generation;
    private MirrorFileSystem fs;
    private Node hot;
    private String[] hits;
    private String[] misses;
    private String[] fusePaths;
    private Path[] localFiles;
    private int next;

    @Setup(Level.Trial)
    public void build() throws IOException {
        dir = Files.createTempDirectory("cloudmirror-jmh");
        store = IndexStore.open(dir.resolve("index"), "bench");
        try (GenerationBuilder b = store.newBuilder()) {
            SyntheticTree.generate(blobs, HOT, item -> {
                try {
                    b.add(item);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            store.publish(b.build(Instant.now()));
        }
        generation = store.acquire();
        hot = generation.lookup("hot");
        fs = new MirrorFileSystem(List.of(new Subvolume("bench", "mirror", store, (n, e, s, o, d) -> 0, false)),
                new Ownership(0, 0, 0), Instant.now());
        SplittableRandom random = new SplittableRandom(7);
        hits = new String[SAMPLE];
        misses = new String[SAMPLE];
        fusePaths = new String[SAMPLE];
        localFiles = new Path[SAMPLE];
        Path local = Files.createDirectories(dir.resolve("local"));
        for (int i = 0; i < SAMPLE; i++) {
            int k = random.nextInt(blobs - HOT);
            hits[i] = SyntheticTree.name(k);
            misses[i] = SyntheticTree.name(k) + ".missing";
            fusePaths[i] = "/mirror/" + hits[i];
            Path f = local.resolve(hits[i]);
            Files.createDirectories(f.getParent());
            if (!Files.exists(f)) {
                Files.write(f, new byte[16]);
            }
            localFiles[i] = f;
        }
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        generation.release();
        fs.close();
        store.close();
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private int nextIndex() {
        next = (next + 1) & (SAMPLE - 1);
        return next;
    }

    /** Index lookup of an existing file path. */
    @Benchmark
    public Node lookupHit() {
        return generation.lookup(hits[nextIndex()]);
    }

    /** Index lookup of a path that does not exist (negative lookups of shells and build tools). */
    @Benchmark
    public Node lookupMiss() {
        return generation.lookup(misses[nextIndex()]);
    }

    /** The core's getattr, as the FUSE adapter calls it: layout resolution, generation reference, lookup. */
    @Benchmark
    public Attributes coreGetattr() throws FsException {
        return fs.getattr(fusePaths[nextIndex()]);
    }

    /** stat of a file on the local disk, warm: the floor a FUSE getattr is compared with. */
    @Benchmark
    public BasicFileAttributes localDiskStat() throws IOException {
        return Files.readAttributes(localFiles[nextIndex()], BasicFileAttributes.class);
    }

    /** One readdir page as libfuse asks for it (about 100 entries), from a random offset of a 2,000-entry directory. */
    @Benchmark
    public void readdirPage(Blackhole bh) {
        int from = nextIndex() % (HOT - 100);
        int[] left = {100};
        generation.forEachChild(hot, from, (slot, child) -> {
            bh.consume(child);
            return --left[0] > 0;
        });
    }

    /** A whole 2,000-entry directory. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public void readdirAll(Blackhole bh) {
        generation.forEachChild(hot, 0, (slot, child) -> {
            bh.consume(child);
            return true;
        });
    }
}
