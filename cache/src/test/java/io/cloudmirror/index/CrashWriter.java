package io.cloudmirror.index;

import io.cloudmirror.origin.BlobItem;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

/**
 * Child process of {@link IndexCrashIT}: publishes generation after generation until killed. Generation
 * {@code g} holds exactly {@link #files(long)} files named {@code d<k>/f<i>} with ETag {@code g-<i>}, so a
 * reader can check that what it finds is one whole generation.
 */
public final class CrashWriter {

    private CrashWriter() {
    }

    static int files(long generation) {
        return 2000 + (int) (generation % 7) * 300;
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        try (IndexStore store = IndexStore.open(dir, "crash")) {
            System.out.println("ready");
            System.out.flush();
            while (true) {
                try (GenerationBuilder b = store.newBuilder()) {
                    long g = b.number();
                    for (int i = 0; i < files(g); i++) {
                        b.add(new BlobItem("d" + (i % 13) + "/f" + i, i, Instant.EPOCH.plusSeconds(g), g + "-" + i, null,
                                Map.of(), Map.of()));
                    }
                    store.publish(b.build(Instant.now()));
                    System.out.println("published " + g);
                    System.out.flush();
                }
            }
        }
    }
}
