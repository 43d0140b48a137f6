package io.cloudmirror.origin.vfs;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** The contract against {@link VfsOrigin} over a tar archive ({@code tar:file:///...!/}), POSIX (pax) names. */
class VfsTarOriginContractTest extends ArchiveContract {

    @Override
    protected String scheme() {
        return "tar";
    }

    @Override
    protected void write(Map<String, Member> members, OutputStream out) throws IOException {
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out, "UTF-8")) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setAddPaxHeadersForNonAsciiNames(true);
            for (Map.Entry<String, Member> e : members.entrySet()) {
                TarArchiveEntry entry = new TarArchiveEntry(e.getKey());
                entry.setLastModifiedTime(FileTime.from(e.getValue().mtime()));
                byte[] content = e.getValue().content();
                if (content != null) {
                    entry.setSize(content.length);
                }
                tar.putArchiveEntry(entry);
                if (content != null) {
                    tar.write(content);
                }
                tar.closeArchiveEntry();
            }
        }
    }
}
