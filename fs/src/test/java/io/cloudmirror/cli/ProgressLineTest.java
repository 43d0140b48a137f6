package io.cloudmirror.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cloudmirror.control.ControlProtocol.SyncProgress;
import io.cloudmirror.control.ControlProtocol.SyncResult;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What {@code cloudmirror sync} shows while it waits and when it is done. */
class ProgressLineTest {

    @Test
    void listingShowsCountRateAndEta() {
        assertEquals("media: listing 4,000 of ~20,000 blobs (1.5Gi), 2,000/s, ETA 8s",
                ProgressLine.format(new SyncProgress("media", "listing", 4000, 1_610_612_736L, 20_000, 0, 0, 2000)));
        assertEquals("media: listing 0 blobs (0)",
                ProgressLine.format(new SyncProgress("media", "listing", 0, 0, 0, 0, 0, 100)), "no rate in the first moment");
        assertEquals("media: listing 25,000 blobs (10Mi), 5,000/s",
                ProgressLine.format(new SyncProgress("media", "listing", 25_000, 10L << 20, 0, 0, 0, 5000)),
                "no ETA without an expected count");
    }

    @Test
    void prefetchShowsBytesRateAndEta() {
        assertEquals("media: prefetching 100Mi of 400Mi, 25Mi/s, ETA 12s",
                ProgressLine.format(new SyncProgress("media", "prefetching", 0, 0, 0, 100L << 20, 400L << 20, 4000)));
    }

    @Test
    void severalSyncsShareOneLine() {
        assertEquals("a: waiting for the sync in progress to end (3s) | b: publishing 12 blobs (1s)",
                ProgressLine.format(List.of(new SyncProgress("a", "waiting", 0, 0, 0, 0, 0, 3000),
                        new SyncProgress("b", "publishing", 12, 0, 0, 0, 0, 1000))));
    }

    @Test
    void resultsSayWhatChanged() {
        assertEquals("media: generation 7 published in 1.2s: 20,000 files (1.5Gi); 3 added, 200 changed, 2 removed",
                ProgressLine.result(new SyncResult("media", true, 7, 20_000, 1_610_612_736L, 3, 200, 2, 1234, null)));
        assertEquals("media: sync failed after 0.3s: listing acct/media: HTTP 403",
                ProgressLine.result(new SyncResult("media", false, 0, 0, 0, 0, 0, 0, 300, "listing acct/media: HTTP 403")));
    }
}
