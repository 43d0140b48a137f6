package io.cloudmirror.clone;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The record of an unfinished clone in its destination ({@value #NAME}): which source it copies, and each
 * file copied and verified so far with the version it was. A resumed clone skips those files; the journal is
 * deleted when the clone completes. One line per file, {@code <etag> TAB <path>}, with backslash, tab and
 * newline escaped, appended and flushed as each file is finished, so an interruption loses at most the files
 * in flight (their {@code .part} files are redone).
 *
 * <p>Thread-safe.
 */
final class CloneJournal implements AutoCloseable {

    static final String NAME = ".cloudmirror-clone.journal";
    private static final String HEADER = "cloudmirror clone journal v1\t";

    private final Path file;
    private final Map<String, String> done;
    private final BufferedWriter out;

    private CloneJournal(Path file, Map<String, String> done, BufferedWriter out) {
        this.file = file;
        this.done = done;
        this.out = out;
    }

    /** The source an existing journal in {@code dest} belongs to, or {@code null} if there is no journal. */
    static String sourceOf(Path dest) throws IOException {
        Path f = dest.resolve(NAME);
        if (!Files.isRegularFile(f)) {
            return null;
        }
        List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
        if (lines.isEmpty() || !lines.get(0).startsWith(HEADER)) {
            throw new CloneException(f + " is not a clone journal; remove it, or clone somewhere else");
        }
        return lines.get(0).substring(HEADER.length());
    }

    /** path -> etag of the files the journal in {@code dest} records as done (empty without a journal). */
    static Map<String, String> read(Path dest) throws IOException {
        Path f = dest.resolve(NAME);
        Map<String, String> done = new HashMap<>();
        if (Files.isRegularFile(f)) {
            List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
            for (String line : lines.subList(1, lines.size())) {
                int tab = line.indexOf('\t');
                if (tab >= 0) {
                    done.put(unescape(line.substring(tab + 1)), line.substring(0, tab));
                }
            }
        }
        return done;
    }

    /** Opens (creating or continuing) the journal in {@code dest} for {@code source}. */
    static CloneJournal open(Path dest, String source) throws IOException {
        Path f = dest.resolve(NAME);
        Map<String, String> done = read(dest);
        if (!Files.isRegularFile(f)) {
            Files.writeString(f, HEADER + source + "\n", StandardCharsets.UTF_8);
        }
        BufferedWriter out = Files.newBufferedWriter(f, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        return new CloneJournal(f, done, out);
    }

    /** Whether {@code path} was copied and verified as version {@code etag}. */
    synchronized boolean done(String path, String etag) {
        return etag != null && etag.equals(done.get(path));
    }

    /** How many files are recorded. */
    synchronized int size() {
        return done.size();
    }

    /** Records {@code path} as copied and verified at version {@code etag}. */
    synchronized void record(String path, String etag) throws IOException {
        done.put(path, etag);
        out.write(etag.replace('\t', ' ').replace('\n', ' '));
        out.write('\t');
        out.write(escape(path));
        out.write('\n');
        out.flush();
    }

    /** Closes and deletes the journal: the clone is complete. */
    synchronized void finish() throws IOException {
        out.close();
        Files.deleteIfExists(file);
    }

    @Override
    public synchronized void close() throws IOException {
        out.close();
    }

    static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n");
    }

    static String unescape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                char n = s.charAt(++i);
                b.append(n == 't' ? '\t' : n == 'n' ? '\n' : n);
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
