package io.cloudmirror.origin;

import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.models.BlockBlobItem;
import com.azure.storage.blob.options.BlobParallelUploadOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The {@link BlobOriginContract} against {@link AzureBlobOrigin} on a real Azurite. */
class AzureBlobOriginContractIT extends BlobOriginContract {

    @RegisterExtension
    static final Azurite AZURITE = new Azurite();

    private static final AtomicInteger SEQ = new AtomicInteger();

    private String containerName;
    private BlobContainerClient container;

    @Override
    protected void createContainer() {
        containerName = "contract-" + SEQ.incrementAndGet() + "-" + UUID.randomUUID().toString().substring(0, 8);
        container = AZURITE.createContainer(containerName);
    }

    @Override
    protected BlobOrigin newOrigin(boolean includeTags) {
        return AzureBlobOrigin.create(AZURITE.settings(containerName, includeTags));
    }

    @Override
    protected Stored put(String name, byte[] content, Map<String, String> metadata, Map<String, String> tags) {
        BlobParallelUploadOptions options = new BlobParallelUploadOptions(BinaryData.fromBytes(content))
                .setMetadata(metadata.isEmpty() ? null : metadata)
                .setTags(tags.isEmpty() ? null : tags);
        BlockBlobItem item = container.getBlobClient(name).uploadWithResponse(options, null, Context.NONE).getValue();
        return new Stored(item.getETag(), item.getLastModified().toInstant());
    }

    @Override
    protected void putAll(Map<String, byte[]> blobs) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (Map.Entry<String, byte[]> e : blobs.entrySet()) {
                futures.add(pool.submit(() -> put(e.getKey(), e.getValue(), Map.of(), Map.of())));
            }
            for (Future<?> f : futures) {
                f.get(5, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Override
    protected void delete(String name) {
        container.getBlobClient(name).delete();
    }

    @Override
    protected void dropContainer() {
        if (container != null) {
            container.deleteIfExists();
        }
    }
}
