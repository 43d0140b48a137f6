package io.cloudmirror.blocks;

import java.util.concurrent.atomic.AtomicLong;

/** Counters of the read path of one subvolume. Thread-safe. */
final class ReadStats {

    final AtomicLong originRequests = new AtomicLong();
    final AtomicLong originBytes = new AtomicLong();
    final AtomicLong originFailures = new AtomicLong();
    final AtomicLong readaheadBlocks = new AtomicLong();
    final AtomicLong diskLoads = new AtomicLong();
    final AtomicLong joins = new AtomicLong();
    final AtomicLong md5Verified = new AtomicLong();
    final AtomicLong md5Mismatches = new AtomicLong();
    final AtomicLong timeouts = new AtomicLong();
    final AtomicLong reads = new AtomicLong();

    ReadCounters snapshot(int buffersInUse) {
        return new ReadCounters(reads.get(), originRequests.get(), originBytes.get(), originFailures.get(),
                readaheadBlocks.get(), diskLoads.get(), joins.get(), md5Verified.get(), md5Mismatches.get(),
                timeouts.get(), buffersInUse);
    }
}
