package io.cloudmirror.bench;

import io.cloudmirror.origin.BlobItem;
import java.time.Instant;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A deterministic synthetic container for benchmarks: {@code n} blobs spread over nested prefixes
 * ({@code dataset/p<i>/s<j>/file-<k>.bin}, 100 files per leaf directory), plus one flat directory
 * ({@code hot/}) holding {@code hot} entries. Stateless.
 */
public final class SyntheticTree {

    private static final Instant MTIME = Instant.parse("2024-06-01T12:00:00Z");

    private SyntheticTree() {
    }

    /** Hands every blob of the tree to {@code sink}. */
    public static void generate(int n, int hot, Consumer<BlobItem> sink) {
        for (int i = 0; i < hot; i++) {
            sink.accept(item("hot/entry-" + i + ".dat", i));
        }
        for (int i = 0; i < n - hot; i++) {
            sink.accept(item(name(i), i));
        }
    }

    /** The name of the {@code i}-th nested blob. */
    public static String name(int i) {
        int leaf = i / 100;
        return "dataset/p" + (leaf / 100) + "/s" + (leaf % 100) + "/file-" + i + ".bin";
    }

    private static BlobItem item(String name, int i) {
        return new BlobItem(name, 1000L + i % 5000, MTIME.plusSeconds(i % 86_400), "0x8DC" + Integer.toHexString(i),
                null, Map.of(), Map.of());
    }
}
