package io.cloudmirror.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobListDetails;
import com.azure.storage.blob.models.ListBlobsOptions;
import com.azure.storage.blob.options.BlobParallelUploadOptions;
import io.cloudmirror.control.ControlProtocol.SubvolumeState;
import io.cloudmirror.origin.Azurite;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile blob names and metadata through a real sync (the daemon, Azurite, the kernel): spaces, {@code #},
 * {@code %}, {@code ?}, {@code \} (stored by the service as {@code /}), newlines, NFC/NFD pairs, 1,024-character names, 255- and 256-byte
 * components, {@code .} and {@code ..} components, {@code a//b}, trailing {@code /}, {@code a} beside
 * {@code a/b}, zero-byte blobs, folder metadata, and index tags with odd characters at their maximum lengths.
 * The sync must not fail; every name Azurite holds lands or is skipped (and counted by reason) as
 * docs/SEMANTICS.md says; every byte read through the mount equals the blob; and nothing is written outside
 * the cache directory, whose file names are hashes, never blob names.
 */
class HostileNamesIT {

    @RegisterExtension
    static final Azurite AZURITE = new Azurite();

    @TempDir
    Path tmp;

    private static String repeat(String s, int n) {
        return s.repeat(n);
    }

    /** A name of exactly 1,024 characters (Azure's limit) in components of at most {@code per} characters of {@code c}. */
    private static String longName(String c, int per) {
        StringBuilder b = new StringBuilder("long-" + c);
        while (b.length() < 1024) {
            int room = 1024 - b.length() - 1;
            b.append('/').append(c.repeat(Math.min(per, room)));
        }
        return b.toString();
    }

    /** Names that must land as files (as spelled), with what they prove. */
    private static final List<String> LAND = List.of(
            "with space.txt", " leading and trailing space ", "hash#fragment.txt", "per%25cent%.txt",
            "question?mark=1&x.txt", "back\\slash.txt", "new\nline.txt", "tab\there.txt",
            "caf\u00e9.txt", "cafe\u0301.txt", "dir with space/\u00fcn\u00efc\u00f6d\u00e9/\u65e5\u672c\u8a9e.txt",
            "emoji-\ud83d\ude00.txt", "...", ".hidden", "-dash", "c255/" + repeat("x", 255),
            "c255-utf8/" + repeat("\u00e9", 127) + "x", longName("a", 200), longName("\u20ac", 85),
            "empty", "dir-marker-with-child/f", "dup/child", "tagged.bin");

    /** Names skipped, by the reason status must count them under. */
    private static final Map<String, String> SKIP = Map.of(
            "c256/" + repeat("x", 256), "component_too_long",
            "c256-utf8/" + repeat("\u00e9", 128), "component_too_long",
            "./dot.txt", "dot_component",
            "dots/../up.txt", "dot_component",
            "../../escape-marker-1", "dot_component",
            "esc/../../../escape-marker-2", "dot_component",
            "a//b", "empty_component",
            "double-trailing//", "empty_component",
            "dup", "shadowed_by_directory");

    @Test
    void everyHostileNameLandsOrIsSkippedAsDocumentedAndNothingEscapesTheCache() throws Exception {
        BlobContainerClient c = AZURITE.createContainer("hostile");
        Map<String, byte[]> content = new LinkedHashMap<>();
        int i = 0;
        for (String n : LAND) {
            content.put(n, n.equals("empty") ? new byte[0] : ("blob " + i++ + ": " + n).getBytes(StandardCharsets.UTF_8));
        }
        for (String n : SKIP.keySet()) {
            content.put(n, ("skipped " + i++).getBytes(StandardCharsets.UTF_8));
        }
        content.put("dir-marker/", new byte[0]);
        content.put("dir-marker-with-child/", new byte[0]);
        // Azure tags: at most 10, keys up to 128 and values up to 256 characters of [a-zA-Z0-9 +-./:=_]
        Map<String, String> tags = new TreeMap<>();
        String odd = " +-./:=_";
        for (int t = 0; t < 10; t++) {
            tags.put((t + odd + repeat("k", 128)).substring(0, 128), (odd + t + repeat("v", 256)).substring(0, 256));
        }
        for (Map.Entry<String, byte[]> e : content.entrySet()) {
            BlobParallelUploadOptions o = new BlobParallelUploadOptions(BinaryData.fromBytes(e.getValue()));
            if (e.getKey().equals("tagged.bin")) {
                o.setTags(tags);
            }
            c.getBlobClient(e.getKey()).uploadWithResponse(o, null, Context.NONE);
        }
        c.getBlobClient("adls-folder").uploadWithResponse(new BlobParallelUploadOptions(BinaryData.fromBytes(new byte[0]))
                .setMetadata(Map.of("hdi_isfolder", "true")), null, Context.NONE);

        Set<String> held = new TreeSet<>();
        for (BlobItem b : c.listBlobs(new ListBlobsOptions().setDetails(new BlobListDetails().setRetrieveMetadata(true)),
                null)) {
            held.add(b.getName());
        }
        // The blob service stores a backslash as '/' (Azure's REST path rules; Azurite does the same).
        Set<String> uploaded = new TreeSet<>();
        content.keySet().forEach(n -> uploaded.add(asStored(n)));
        uploaded.add("adls-folder");
        Set<String> missing = new TreeSet<>(uploaded);
        missing.removeAll(held);
        Set<String> extra = new TreeSet<>(held);
        extra.removeAll(uploaded);
        assertEquals(Set.of(), missing, "Azurite holds every name as spelled (else this test proves less than it "
                + "says); it holds instead: " + extra);

        Map<String, String> expectedFiles = new TreeMap<>();
        for (String n : LAND) {
            expectedFiles.put(asStored(n), sha(content.get(n)));
        }
        Set<String> expectedDirs = new TreeSet<>(Set.of("dir with space", "dir with space/\u00fcn\u00efc\u00f6d\u00e9",
                "c255", "c255-utf8", "back", "dir-marker", "dir-marker-with-child", "dup", "adls-folder"));
        for (String n : List.of(longName("a", 200), longName("\u20ac", 85))) {
            for (int s = n.indexOf('/'); s > 0; s = n.indexOf('/', s + 1)) {
                expectedDirs.add(n.substring(0, s));
            }
        }
        Map<String, Long> expectedSkips = new TreeMap<>();
        SKIP.values().forEach(r -> expectedSkips.merge(r, 1L, Long::sum));

        Cli cli = new Cli(tmp);
        try (MirrorMount m = new MirrorMount(tmp).writeConfig(AZURITE.endpoint().toString(), AZURITE.accountKey(),
                "hostile", "MirrorIndexTags", "")) {
            Sh.Result r = m.mount(cli.env());
            assertEquals(0, r.exit(), r + "\nlog:\n" + m.logText());
            long total = LAND.stream().mapToLong(n -> content.get(n).length).sum();
            SubvolumeState s = cli.await(x -> x.generation() >= 1 && x.cached() >= total, Duration.ofMinutes(2), m);
            assertEquals("", s.lastError() == null ? "" : s.lastError(), "the sync did not fail");

            Path root = m.mountpoint.resolve("mirrorSubDir");
            Map<String, String> files = new TreeMap<>();
            Set<String> dirs = new TreeSet<>();
            try (Stream<Path> walk = Files.walk(root)) {
                for (Path p : (Iterable<Path>) walk::iterator) {
                    String rel = root.relativize(p).toString();
                    if (Files.isDirectory(p)) {
                        if (!rel.isEmpty()) {
                            dirs.add(rel);
                        }
                    } else {
                        files.put(rel, sha(Files.readAllBytes(p)));
                    }
                }
            }
            assertEquals(expectedDirs, dirs, "directories through the kernel: " + diff(expectedDirs, dirs));
            assertEquals(expectedFiles, files, "every file through the kernel, with its blob's bytes: "
                    + diff(expectedFiles.entrySet(), files.entrySet()));
            assertEquals(0, Files.size(root.resolve("empty")));
            assertEquals(expectedFiles.size(), s.blobs(), "files in the published tree");
            assertEquals(expectedSkips, new TreeMap<>(s.skippedByReason()), "skips counted by reason");
            assertEquals(SKIP.size(), s.skipped());

            assertFalse(Files.exists(root.resolve("a")), "a//b makes no directory a");

            UserDefinedFileAttributeView x = Files.getFileAttributeView(root.resolve("tagged.bin"),
                    UserDefinedFileAttributeView.class);
            Map<String, String> xattrs = new TreeMap<>();
            for (String name : x.list()) {
                ByteBuffer v = ByteBuffer.allocate(x.size(name));
                x.read(name, v);
                xattrs.put(name, new String(v.array(), 0, v.position(), StandardCharsets.UTF_8));
            }
            Map<String, String> expectedXattrs = new TreeMap<>();
            tags.forEach((k, v) -> expectedXattrs.put("azindex." + k, v));
            assertEquals(expectedXattrs, xattrs, "tags at their maximum lengths, odd characters and all");

            // Nothing escaped: in the test directory (outside the mount) there is only the cache, the runtime
            // directory, the config, key and log; nothing named after a blob anywhere near; and the cache holds
            // hashes, never a blob's name.
            Set<String> known = Set.of("mnt", "media.yaml", "account.key", "daemon.log");
            for (String p : outsideMount(tmp)) {
                String rel = tmp.relativize(Path.of(p)).toString();
                assertTrue(rel.isEmpty() || known.contains(rel) || rel.startsWith("cache") || rel.startsWith("run"),
                        "unexpected file in the test directory: " + p);
            }
            Sh.Result escaped = Sh.bash("find '" + tmp.getParent() + "' '" + tmp
                    + "' -xdev -maxdepth 3 -name '*escape-marker*' 2>/dev/null; true");
            assertEquals("", escaped.out(), "a blob name reached the disk");
            Path blocks = m.cache.resolve("blocks");
            int blockFiles = 0;
            try (Stream<Path> walk = Files.walk(blocks)) {
                for (Path p : (Iterable<Path>) walk::iterator) {
                    if (Files.isRegularFile(p) && !p.getParent().equals(blocks)) {
                        assertTrue(blocks.relativize(p).toString().matches("[0-9a-f]{2}/[0-9a-f]{32,64}-[0-9]+"),
                                "block files are named by hash: " + p);
                        blockFiles++;
                    }
                }
            }
            assertTrue(blockFiles >= LAND.size() - 1, "prefetch cached every non-empty file: " + blockFiles);
            assertFalse(m.logText().toLowerCase(Locale.ROOT).contains("exception"), "no exception logged:\n" + m.logText());
        }
    }

    /** What is missing from and extra in {@code actual}, names shortened and escaped. */
    private static <T> String diff(Set<T> expected, Set<T> actual) {
        Set<String> missing = new TreeSet<>();
        expected.stream().filter(e -> !actual.contains(e)).forEach(e -> missing.add(shown(e)));
        Set<String> extra = new TreeSet<>();
        actual.stream().filter(e -> !expected.contains(e)).forEach(e -> extra.add(shown(e)));
        return "missing " + missing + ", extra " + extra;
    }

    private static String shown(Object o) {
        String s = o.toString().replace("\n", "\\n").replace("\t", "\\t");
        return s.length() > 80 ? s.substring(0, 40) + "..." + s.substring(s.length() - 30) : s;
    }

    /** The name the blob service stores for {@code name}. */
    private static String asStored(String name) {
        return name.replace('\\', '/');
    }

    /** Every path under {@code dir}, not descending into mounts. */
    private static Set<String> outsideMount(Path dir) throws Exception {
        Sh.Result r = Sh.bash("find '" + dir + "' -xdev 2>/dev/null; true");
        return new TreeSet<>(r.out().lines().toList());
    }

    private static String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
