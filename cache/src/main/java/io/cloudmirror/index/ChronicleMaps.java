package io.cloudmirror.index;

import java.io.File;
import java.io.IOException;
import net.openhft.chronicle.map.ChronicleMap;

/**
 * How the index's two Chronicle maps are configured, created and reopened. Stateless.
 *
 * <p>{@code nodes} maps a path to its encoded {@link Node}; {@code children} maps
 * {@code dirId << 32 | slot} to an encoded {@link ChildEntry}.
 */
final class ChronicleMaps {

    static final String NODES = "nodes.cm";
    static final String CHILDREN = "children.cm";

    static {
        // Belt and braces: the launcher and the test JVMs set these too. Chronicle must never phone home.
        System.setProperty("chronicle.analytics.disable", "true");
        System.setProperty("chronicle.announcer.disable", "true");
    }

    private ChronicleMaps() {
    }

    static ChronicleMap<CharSequence, byte[]> createNodes(File file, long entries, double avgKey, double avgValue)
            throws IOException {
        return ChronicleMap.of(CharSequence.class, byte[].class)
                .name("cloudmirror-nodes")
                .entries(Math.max(entries, 64))
                .averageKeySize(Math.max(avgKey, 8))
                .averageValueSize(Math.max(avgValue, 48))
                .maxBloatFactor(8.0)
                .createPersistedTo(file);
    }

    static ChronicleMap<Long, byte[]> createChildren(File file, long entries, double avgValue) throws IOException {
        return ChronicleMap.of(Long.class, byte[].class)
                .name("cloudmirror-children")
                .entries(Math.max(entries, 64))
                .averageValueSize(Math.max(avgValue, 16))
                .maxBloatFactor(8.0)
                .createPersistedTo(file);
    }

    /** Reopens a published nodes map; {@code recover} resets locks a crashed process may have left held. */
    static ChronicleMap<CharSequence, byte[]> openNodes(File file, boolean recover) throws IOException {
        var b = ChronicleMap.of(CharSequence.class, byte[].class).name("cloudmirror-nodes")
                .entries(64).averageKeySize(8).averageValueSize(48);
        return recover ? b.recoverPersistedTo(file, true) : b.createPersistedTo(file);
    }

    /** Reopens a published children map; see {@link #openNodes}. */
    static ChronicleMap<Long, byte[]> openChildren(File file, boolean recover) throws IOException {
        var b = ChronicleMap.of(Long.class, byte[].class).name("cloudmirror-children")
                .entries(64).averageValueSize(16);
        return recover ? b.recoverPersistedTo(file, true) : b.createPersistedTo(file);
    }

    static long childKey(int dirId, int slot) {
        return ((long) dirId << 32) | (slot & 0xFFFFFFFFL);
    }
}
