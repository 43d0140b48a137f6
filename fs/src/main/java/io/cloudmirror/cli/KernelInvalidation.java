package io.cloudmirror.cli;

import io.cloudmirror.fuse.FuseAdapter;
import io.cloudmirror.index.GenerationStats;
import io.cloudmirror.sync.SyncListener;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * After a publish that changed a subvolume's tree, drops what the kernel cached under it, so that long
 * attribute and entry timeouts never show a stale tree. A sync that found nothing new leaves the kernel's
 * caches warm. Thread-safe.
 */
final class KernelInvalidation implements SyncListener {

    private static final Logger LOG = LoggerFactory.getLogger(KernelInvalidation.class);

    private final Map<String, String> topEntryBySubvolume;
    private final AtomicReference<FuseAdapter> adapter = new AtomicReference<>();

    /** @param topEntryBySubvolume for each subvolume name, the first component of its path */
    KernelInvalidation(Map<String, String> topEntryBySubvolume) {
        this.topEntryBySubvolume = Map.copyOf(topEntryBySubvolume);
    }

    /** Starts invalidating through {@code fuse} (once it is mounted). */
    void attach(FuseAdapter fuse) {
        adapter.set(fuse);
    }

    @Override
    public void published(String subvolume, GenerationStats stats) {
        FuseAdapter fuse = adapter.get();
        String top = topEntryBySubvolume.get(subvolume);
        if (fuse == null || top == null || !stats.treeChanged()) {
            return;
        }
        if (fuse.invalidate(top)) {
            LOG.debug("{}: generation {} changed the tree; kernel caches under /{} dropped", subvolume, stats.number(),
                    top);
        }
    }
}
