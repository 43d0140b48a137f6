package io.cloudmirror.blocks;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;

/**
 * One version of one blob, as the block cache knows it: the SHA-256 of its name and ETag. Cache file names
 * and block headers carry only this digest, never the blob name. Immutable.
 */
public final class BlobKey {

    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every Java runtime has SHA-256", e);
        }
    });

    private final String name;
    private final String etag;
    private final byte[] digest;
    private final long hi;
    private final long lo;

    private BlobKey(String name, String etag, byte[] digest) {
        this.name = name;
        this.etag = etag;
        this.digest = digest;
        ByteBuffer b = ByteBuffer.wrap(digest);
        this.hi = b.getLong(0);
        this.lo = b.getLong(8);
    }

    /** The key of version {@code etag} of blob {@code name}. */
    public static BlobKey of(String name, String etag) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(etag, "etag");
        MessageDigest md = SHA256.get();
        md.reset();
        md.update(name.getBytes(StandardCharsets.UTF_8));
        md.update((byte) 0);
        md.update(etag.getBytes(StandardCharsets.UTF_8));
        return new BlobKey(name, etag, md.digest());
    }

    public String name() {
        return name;
    }

    public String etag() {
        return etag;
    }

    /** The identity the cache indexes and pins by: the first 128 bits of the digest. */
    KeyId id() {
        return new KeyId(hi, lo);
    }

    /** Block {@code index} of this version. */
    BlockId block(int index) {
        return new BlockId(hi, lo, index);
    }

    /** The full 32-byte digest, as block headers carry it. */
    byte[] digest() {
        return digest.clone();
    }

    /** Whether {@code other} (32 bytes) is this key's digest. */
    boolean digestEquals(byte[] other) {
        return MessageDigest.isEqual(digest, other);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BlobKey k && hi == k.hi && lo == k.lo && MessageDigest.isEqual(digest, k.digest);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(hi ^ lo);
    }

    @Override
    public String toString() {
        return "BlobKey[" + id().hex() + "]";
    }
}
