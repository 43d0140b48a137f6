package io.cloudmirror.fs;

import io.cloudmirror.blocks.BlobReader;
import io.cloudmirror.blocks.CachedContent;
import io.cloudmirror.origin.OriginException;
import java.nio.ByteBuffer;

/**
 * The core's view of the block cache read path: one {@link BlobReader} per open file, as the daemon wires it.
 * Thread-safe as {@link CachedContent} is; each reader is used by one open file.
 *
 * @param content the subvolume's cached content
 */
public record CachedSource(CachedContent content) implements ContentSource {

    @Override
    public int read(String name, String etag, long size, long offset, ByteBuffer dst) throws OriginException {
        return content.read(name, etag, size, offset, dst);
    }

    @Override
    public Reader open(String name, String etag, long size, byte[] contentMd5) {
        BlobReader r = content.open(name, etag, size, contentMd5);
        return new Reader() {
            @Override
            public int read(long offset, ByteBuffer dst) throws OriginException {
                return r.read(offset, dst);
            }

            @Override
            public void close() {
                r.close();
            }
        };
    }
}
