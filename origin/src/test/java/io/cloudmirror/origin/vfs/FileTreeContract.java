package io.cloudmirror.origin.vfs;

import io.cloudmirror.origin.BlobOriginContract;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;

/**
 * The {@link BlobOriginContract} for {@link VfsOrigin} sources that are file trees: no metadata, tags or
 * Content-MD5, directories walked but not listed, and no name that is both a file and a directory. Puts give
 * every version a new whole-second modification time (later than the last), as a writer working over time
 * would: the ETag of such sources is size and time, and times of SFTP and archives have 1 s precision.
 */
abstract class FileTreeContract extends BlobOriginContract {

    private Instant clock = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(1_000_000);

    /** The next modification time: whole seconds, later than every earlier one. */
    protected final synchronized Instant nextMtime() {
        clock = clock.plusSeconds(1);
        return clock;
    }

    @Override
    protected boolean listsContentMd5() {
        return false;
    }

    @Override
    protected boolean storesMetadata() {
        return false;
    }

    @Override
    protected boolean storesTags() {
        return false;
    }

    @Override
    protected boolean listsDirectoryMarkers() {
        return false;
    }

    @Override
    protected boolean nameMayBeFileAndDirectory() {
        return false;
    }

    /** Writes blob {@code name} as a file under {@code root} (a directory for a name ending in '/'). */
    protected final Stored putFile(Path root, String name, byte[] content) throws IOException {
        if (name.endsWith("/")) {
            Files.createDirectories(root.resolve(name));
            return new Stored("", Instant.EPOCH);
        }
        Path file = root.resolve(name);
        Files.createDirectories(file.getParent());
        Path tmp = Files.createTempFile(file.getParent(), ".put", ".tmp");
        Files.write(tmp, content);
        Instant mtime = nextMtime();
        Files.setLastModifiedTime(tmp, FileTime.from(mtime));
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return new Stored(VfsOrigin.etagOf(content.length, mtime.toEpochMilli()), mtime);
    }

    /** Deletes everything under {@code root}, and it. */
    protected static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    @Override
    protected abstract Stored put(String name, byte[] content, Map<String, String> metadata, Map<String, String> tags)
            throws Exception;
}
