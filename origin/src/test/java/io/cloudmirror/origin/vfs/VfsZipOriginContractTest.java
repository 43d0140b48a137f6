package io.cloudmirror.origin.vfs;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** The contract against {@link VfsOrigin} over a zip archive ({@code zip:file:///...!/}). */
class VfsZipOriginContractTest extends ArchiveContract {

    @Override
    protected String scheme() {
        return "zip";
    }

    @Override
    protected void write(Map<String, Member> members, OutputStream out) throws IOException {
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            for (Map.Entry<String, Member> e : members.entrySet()) {
                ZipEntry entry = new ZipEntry(e.getKey());
                entry.setLastModifiedTime(FileTime.from(e.getValue().mtime()));
                zip.putNextEntry(entry);
                if (e.getValue().content() != null) {
                    zip.write(e.getValue().content());
                }
                zip.closeEntry();
            }
        }
    }
}
