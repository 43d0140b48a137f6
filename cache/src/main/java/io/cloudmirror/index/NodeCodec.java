package io.cloudmirror.index;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The binary form of {@link Node} and {@link ChildEntry} values stored in the Chronicle maps. Stateless.
 *
 * <p>Node layout: format(1) kind(1) inode(8) size(8) mtimeSeconds(8) mtimeNanos(4) slot(4), then for
 * directories dirId(4) childCount(4) subdirCount(4), for files etag(u16 length + UTF-8), md5(u8 length +
 * bytes), tagCount(u8) and each tag as two u16-length UTF-8 strings. Child layout: kind(1) inode(8) name(UTF-8).
 */
final class NodeCodec {

    private static final byte FORMAT = 1;
    private static final int FIXED = 1 + 1 + 8 + 8 + 8 + 4 + 4;

    private NodeCodec() {
    }

    static byte[] encode(Node n) {
        if (n.isDirectory()) {
            ByteBuffer b = ByteBuffer.allocate(FIXED + 12);
            putFixed(b, n);
            b.putInt(n.dirId()).putInt(n.childCount()).putInt(n.subdirCount());
            return b.array();
        }
        byte[] etag = n.etag().getBytes(StandardCharsets.UTF_8);
        byte[] md5 = n.contentMd5() == null ? new byte[0] : n.contentMd5();
        int tagBytes = 0;
        byte[][] tagParts = new byte[n.tags().size() * 2][];
        int i = 0;
        for (Map.Entry<String, String> t : n.tags().entrySet()) {
            tagParts[i] = t.getKey().getBytes(StandardCharsets.UTF_8);
            tagParts[i + 1] = t.getValue().getBytes(StandardCharsets.UTF_8);
            tagBytes += 4 + tagParts[i].length + tagParts[i + 1].length;
            i += 2;
        }
        if (etag.length > 0xFFFF || md5.length > 0xFF || n.tags().size() > 0xFF) {
            throw new IllegalArgumentException("node too large to encode");
        }
        ByteBuffer b = ByteBuffer.allocate(FIXED + 2 + etag.length + 1 + md5.length + 1 + tagBytes);
        putFixed(b, n);
        b.putShort((short) etag.length).put(etag);
        b.put((byte) md5.length).put(md5);
        b.put((byte) n.tags().size());
        for (byte[] part : tagParts) {
            if (part.length > 0xFFFF) {
                throw new IllegalArgumentException("tag too large to encode");
            }
            b.putShort((short) part.length).put(part);
        }
        return b.array();
    }

    private static void putFixed(ByteBuffer b, Node n) {
        b.put(FORMAT).put((byte) n.kind().ordinal()).putLong(n.inode()).putLong(n.size())
                .putLong(n.mtime().getEpochSecond()).putInt(n.mtime().getNano()).putInt(n.slot());
    }

    static Node decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        byte format = b.get();
        if (format != FORMAT) {
            throw new IllegalStateException("unknown index record format " + format);
        }
        NodeKind kind = NodeKind.values()[b.get()];
        long inode = b.getLong();
        long size = b.getLong();
        Instant mtime = Instant.ofEpochSecond(b.getLong(), b.getInt());
        int slot = b.getInt();
        if (kind == NodeKind.DIRECTORY) {
            return new Node(kind, inode, 0, mtime, "", null, Map.of(), b.getInt(), b.getInt(), b.getInt(), slot);
        }
        String etag = string(b, Short.toUnsignedInt(b.getShort()));
        int md5Len = Byte.toUnsignedInt(b.get());
        byte[] md5 = null;
        if (md5Len > 0) {
            md5 = new byte[md5Len];
            b.get(md5);
        }
        int tagCount = Byte.toUnsignedInt(b.get());
        Map<String, String> tags = tagCount == 0 ? Map.of() : new LinkedHashMap<>();
        for (int i = 0; i < tagCount; i++) {
            String k = string(b, Short.toUnsignedInt(b.getShort()));
            tags.put(k, string(b, Short.toUnsignedInt(b.getShort())));
        }
        return new Node(kind, inode, size, mtime, etag, md5, tags, -1, 0, 0, slot);
    }

    static byte[] encodeChild(ChildEntry c) {
        byte[] name = c.name().getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(9 + name.length).put((byte) c.kind().ordinal()).putLong(c.inode()).put(name).array();
    }

    static ChildEntry decodeChild(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        NodeKind kind = NodeKind.values()[b.get()];
        long inode = b.getLong();
        return new ChildEntry(new String(bytes, 9, bytes.length - 9, StandardCharsets.UTF_8), kind, inode);
    }

    private static String string(ByteBuffer b, int len) {
        String s = new String(b.array(), b.position(), len, StandardCharsets.UTF_8);
        b.position(b.position() + len);
        return s;
    }
}
