package io.cloudmirror.clone;

import io.cloudmirror.control.ControlProtocol.ManifestEntry;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/** Where a clone reads file contents from: the mount in production, an origin in tests. */
public interface CloneSource {

    /**
     * Opens the version of {@code entry}'s file the manifest describes.
     *
     * @throws IOException if it cannot be opened, or the file there is no longer that version (say so)
     */
    Reader open(ManifestEntry entry) throws IOException;

    /** An open file; positional reads may run concurrently from several threads. */
    interface Reader extends Closeable {
        /** Reads into {@code dst} from {@code position}; the bytes read, or -1 at the end. */
        int read(ByteBuffer dst, long position) throws IOException;
    }
}
