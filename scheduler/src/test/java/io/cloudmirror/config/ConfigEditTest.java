package io.cloudmirror.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What an edit changes, and which of it applies while mounted. */
class ConfigEditTest extends ConfigTestSupport {

    private static final String UUID_1 = "3f2b8c1e-9d4a-4c6b-8e2f-1a2b3c4d5e6f";
    private static final String UUID_2 = "0c9e5d2a-1b7f-4e3c-9a8d-6f5e4d3c2b1a";

    private MirrorConfig config(String text) throws Exception {
        return load(write("media.yaml", text));
    }

    @Test
    void liveFieldsApplyAndTheRestNeedsARemount() throws Exception {
        MirrorConfig running = config(PRODUCT_EXAMPLE.replace("oneshot:", "oneshot: " + UUID_1));
        MirrorConfig edited = config(PRODUCT_EXAMPLE
                .replace("oneshot:", "oneshot: " + UUID_2)
                .replace("\"@hourly\"", "\"*/5 * * * *\"")
                .replace("blobNamePrefix:", "blobNamePrefix: models/")
                .replace("containerName: media", "containerName: other")
                .replace("path: mirrorSubDir", "path: elsewhere")
                + "  cache:\n    maxSize: 20Gi\n");
        ConfigEdit edit = ConfigEdit.between(running, edited);
        assertEquals(List.of(), edit.added());
        assertEquals(List.of(), edit.removed());
        ConfigEdit.Change c = edit.subvolumes().get("media");
        assertEquals(Optional.of(Frequency.parse("*/5 * * * *")), c.frequency());
        assertEquals(Optional.of(UUID_2), c.oneshot());
        assertEquals(Optional.of("models/"), c.prefix());
        assertEquals(Optional.of(20L << 30), c.maxSize());
        assertEquals(List.of("spec.path", "spec.blobAccount.containerName"), c.needsRemount());
        SubvolumeConfig live = c.live();
        assertEquals("mirrorSubDir", live.path(), "what needs a remount stays as it runs");
        assertEquals("media", live.blobAccount().containerName());
        assertEquals("models/", live.blobNamePrefix(), "what is live comes from the edit");
        assertEquals(UUID_2, live.schedule().oneshot());
        assertEquals(20L << 30, live.cache().maxSize());
    }

    @Test
    void anUnchangedOrClearedOneshotTriggersNothing() throws Exception {
        MirrorConfig running = config(PRODUCT_EXAMPLE.replace("oneshot:", "oneshot: " + UUID_1));
        MirrorConfig same = config(PRODUCT_EXAMPLE.replace("oneshot:", "oneshot: " + UUID_1.toUpperCase()));
        assertTrue(ConfigEdit.between(running, same).subvolumes().get("media").isEmpty());
        MirrorConfig cleared = config(PRODUCT_EXAMPLE);
        ConfigEdit.Change c = ConfigEdit.between(running, cleared).subvolumes().get("media");
        assertEquals(Optional.empty(), c.oneshot());
        assertEquals("", c.live().schedule().oneshot());
    }

    @Test
    void addedAndRemovedSubvolumesAreReported() throws Exception {
        MirrorConfig running = config(PRODUCT_EXAMPLE);
        MirrorConfig edited = config(PRODUCT_EXAMPLE.replace("name: media", "name: renamed"));
        ConfigEdit edit = ConfigEdit.between(running, edited);
        assertEquals(List.of("media"), edit.removed());
        assertEquals(List.of("renamed"), edit.added());
        assertTrue(edit.subvolumes().isEmpty());
    }
}
