package io.cloudmirror.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class KernelNotifierTest {

    @Test
    void invalEntryIsTheProtocolsMessage() {
        byte[] m = KernelNotifier.invalEntry(1, "mirrorSubDir");
        assertEquals(45, m.length, "16-byte header, 16-byte body, 12-byte name and its NUL (libfuse sends the same)");
        ByteBuffer b = ByteBuffer.wrap(m).order(ByteOrder.nativeOrder());
        assertEquals(45, b.getInt(), "length");
        assertEquals(3, b.getInt(), "FUSE_NOTIFY_INVAL_ENTRY in the error field");
        assertEquals(0, b.getLong(), "unique 0: a notification");
        assertEquals(1, b.getLong(), "parent: the root node");
        assertEquals(12, b.getInt(), "name length without the NUL");
        assertEquals(0, b.getInt(), "padding");
        byte[] name = new byte[12];
        b.get(name);
        assertEquals("mirrorSubDir", new String(name, StandardCharsets.UTF_8));
        assertEquals(0, b.get(), "NUL");
    }

    @Test
    void invalInodeIsTheProtocolsMessage() {
        ByteBuffer b = ByteBuffer.wrap(KernelNotifier.invalInode(42)).order(ByteOrder.nativeOrder());
        assertEquals(40, b.remaining(), "16-byte header, 24-byte body");
        assertEquals(40, b.getInt(), "length");
        assertEquals(2, b.getInt(), "FUSE_NOTIFY_INVAL_INODE in the error field");
        assertEquals(0, b.getLong(), "unique 0: a notification");
        assertEquals(42, b.getLong(), "the node");
        assertEquals(0, b.getLong(), "from offset 0");
        assertEquals(0, b.getLong(), "length 0: every cached page");
    }
}
