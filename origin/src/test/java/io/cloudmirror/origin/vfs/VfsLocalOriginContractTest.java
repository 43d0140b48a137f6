package io.cloudmirror.origin.vfs;

import io.cloudmirror.origin.BlobOrigin;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** The contract against {@link VfsOrigin} over a local directory ({@code file://}). */
class VfsLocalOriginContractTest extends FileTreeContract {

    private Path root;

    @Override
    protected void createContainer() throws Exception {
        root = Files.createTempDirectory("vfs-local");
    }

    @Override
    protected BlobOrigin newOrigin(boolean includeTags) throws Exception {
        return VfsOrigin.create(VfsSettings.of(root.toUri().toString()));
    }

    @Override
    protected Stored put(String name, byte[] content, Map<String, String> metadata, Map<String, String> tags)
            throws Exception {
        return putFile(root, name, content);
    }

    @Override
    protected void delete(String name) throws Exception {
        Files.delete(root.resolve(name));
    }

    @Override
    protected void dropContainer() throws Exception {
        deleteTree(root);
    }
}
