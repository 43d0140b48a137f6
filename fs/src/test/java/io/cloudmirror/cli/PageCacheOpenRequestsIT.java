package io.cloudmirror.cli;

import java.util.List;

/**
 * {@link PageCacheIT} with {@code -o open_requests}: every open and close reaches the daemon, as on a kernel
 * that cannot open FUSE files itself, and the core decides per open whether the kernel keeps its pages or
 * bypasses them.
 */
class PageCacheOpenRequestsIT extends PageCacheIT {

    @Override
    List<String> mountOptions() {
        return List.of("open_requests");
    }
}
