package io.cloudmirror.bench;

import io.cloudmirror.index.GenerationBuilder;
import io.cloudmirror.index.GenerationStats;
import io.cloudmirror.index.IndexStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.stream.Stream;

/**
 * Builds and publishes a synthetic index generation into a subvolume's cache directory, as a sync would,
 * so that an end-to-end benchmark can mount a million-blob tree without uploading a million blobs.
 * Prints build time, heap and the index's size on disk per blob.
 *
 * <p>Usage: {@code BuildIndex CACHE_DIR SUBVOLUME_NAME BLOBS [HOT_DIR_ENTRIES]}
 */
public final class BuildIndex {

    private BuildIndex() {
    }

    public static void main(String[] args) throws IOException {
        Path cache = Path.of(args[0]);
        String name = args[1];
        int n = Integer.parseInt(args[2]);
        int hot = args.length > 3 ? Integer.parseInt(args[3]) : 0;
        long t0 = System.nanoTime();
        GenerationStats stats;
        try (IndexStore store = IndexStore.open(cache.resolve("index"), name);
             GenerationBuilder b = store.newBuilder()) {
            SyntheticTree.generate(n, hot, item -> {
                try {
                    b.add(item);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            long listed = System.nanoTime();
            stats = store.publish(b.build(Instant.now()));
            System.out.printf("spill %.1f s, build+publish %.1f s%n", (listed - t0) / 1e9,
                    (System.nanoTime() - listed) / 1e9);
        }
        long bytes;
        try (Stream<Path> files = Files.walk(cache.resolve("index"))) {
            bytes = files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
        Runtime rt = Runtime.getRuntime();
        System.out.printf("generation %d: %d files, %d directories; index %.1f MB on disk = %.0f bytes per blob; "
                        + "heap used %.0f MB%n", stats.number(), stats.files(), stats.directories(), bytes / 1e6,
                (double) bytes / n, (rt.totalMemory() - rt.freeMemory()) / 1e6);
    }
}
