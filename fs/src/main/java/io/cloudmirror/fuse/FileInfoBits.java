package io.cloudmirror.fuse;

import jnr.ffi.Pointer;
import jnr.ffi.Struct;
import ru.serce.jnrfuse.struct.FuseFileInfo;

/**
 * Sets the bit fields of libfuse 2's {@code struct fuse_file_info} (direct_io, keep_cache, ...), which
 * jnr-fuse maps as separate bytes at the wrong offsets. On Linux the bits live in the 32-bit word just
 * before {@code fh}: bit 0 direct_io, bit 1 keep_cache. Stateless.
 */
final class FileInfoBits {

    static final int DIRECT_IO = 1;
    static final int KEEP_CACHE = 1 << 1;

    private FileInfoBits() {
    }

    static void set(FuseFileInfo fi, int mask) {
        Pointer mem = Struct.getMemory(fi);
        long offset = fi.fh.offset() - 4;
        mem.putInt(offset, mem.getInt(offset) | mask);
    }

    static int get(FuseFileInfo fi) {
        Pointer mem = Struct.getMemory(fi);
        return mem.getInt(fi.fh.offset() - 4);
    }
}
