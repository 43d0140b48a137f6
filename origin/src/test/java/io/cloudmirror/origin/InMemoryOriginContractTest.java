package io.cloudmirror.origin;

import java.util.Map;

/** The {@link BlobOriginContract} against the in-memory test fixture. */
class InMemoryOriginContractTest extends BlobOriginContract {

    private InMemoryOrigin store;

    @Override
    protected void createContainer() {
        store = new InMemoryOrigin();
    }

    @Override
    protected BlobOrigin newOrigin(boolean includeTags) {
        return store.view(includeTags);
    }

    @Override
    protected Stored put(String name, byte[] content, Map<String, String> metadata, Map<String, String> tags) {
        String etag = store.put(name, content, metadata, tags);
        return new Stored(etag, store.get(name).lastModified());
    }

    @Override
    protected void delete(String name) {
        store.delete(name);
    }
}
