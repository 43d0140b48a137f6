package io.cloudmirror.index;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.Properties;

/**
 * What one generation holds and how it differs from the one before. Immutable; persisted beside the
 * generation as {@code generation.properties}.
 *
 * @param number      the generation number, increasing by one per published sync
 * @param createdAt   when the listing that built it finished
 * @param files       files in the tree
 * @param directories directories in the tree, the root included
 * @param bytes       total size of the files
 * @param skipped     blobs left out of the tree, by reason
 * @param added       files new since the previous generation
 * @param changed     files whose ETag differs from the previous generation
 * @param removed     files of the previous generation that are gone
 * @param treeChanged whether any path differs from the previous generation (a file added, changed or
 *                    removed, or a directory appeared or went); false for a sync that found nothing new
 */
public record GenerationStats(long number, Instant createdAt, long files, long directories, long bytes,
                              Map<SkipReason, Long> skipped, long added, long changed, long removed,
                              boolean treeChanged) {

    static final String FILE_NAME = "generation.properties";

    public GenerationStats {
        EnumMap<SkipReason, Long> copy = new EnumMap<>(SkipReason.class);
        copy.putAll(skipped);
        skipped = java.util.Collections.unmodifiableMap(copy);
    }

    /** The stats of the empty tree served before the first sync. */
    public static GenerationStats empty() {
        return new GenerationStats(0, Instant.EPOCH, 0, 1, 0, Map.of(), 0, 0, 0, false);
    }

    /** Total blobs skipped, all reasons together. */
    public long skippedTotal() {
        return skipped.values().stream().mapToLong(Long::longValue).sum();
    }

    void write(Path dir) throws IOException {
        Properties p = new Properties();
        p.setProperty("number", Long.toString(number));
        p.setProperty("createdAt", createdAt.toString());
        p.setProperty("files", Long.toString(files));
        p.setProperty("directories", Long.toString(directories));
        p.setProperty("bytes", Long.toString(bytes));
        p.setProperty("added", Long.toString(added));
        p.setProperty("changed", Long.toString(changed));
        p.setProperty("removed", Long.toString(removed));
        p.setProperty("treeChanged", Boolean.toString(treeChanged));
        skipped.forEach((reason, count) -> p.setProperty("skipped." + reason.name(), Long.toString(count)));
        try (Writer w = Files.newBufferedWriter(dir.resolve(FILE_NAME), StandardCharsets.UTF_8)) {
            p.store(w, "cloudmirror index generation");
        }
    }

    static GenerationStats read(Path dir) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(dir.resolve(FILE_NAME), StandardCharsets.UTF_8)) {
            p.load(r);
        }
        EnumMap<SkipReason, Long> skipped = new EnumMap<>(SkipReason.class);
        for (SkipReason reason : SkipReason.values()) {
            String v = p.getProperty("skipped." + reason.name());
            if (v != null) {
                skipped.put(reason, Long.parseLong(v));
            }
        }
        try {
            return new GenerationStats(Long.parseLong(p.getProperty("number")),
                    Instant.parse(p.getProperty("createdAt")), Long.parseLong(p.getProperty("files")),
                    Long.parseLong(p.getProperty("directories")), Long.parseLong(p.getProperty("bytes")), skipped,
                    Long.parseLong(p.getProperty("added", "0")), Long.parseLong(p.getProperty("changed", "0")),
                    Long.parseLong(p.getProperty("removed", "0")),
                    Boolean.parseBoolean(p.getProperty("treeChanged", "true")));
        } catch (RuntimeException e) {
            throw new IOException("corrupt " + dir.resolve(FILE_NAME) + ": " + e.getMessage(), e);
        }
    }
}
