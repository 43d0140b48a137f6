package io.cloudmirror.fs;

/** Hears about each file read the core serves, for metrics. Called on FUSE threads; must be quick and not throw. */
@FunctionalInterface
public interface ReadObserver {

    /** An observer that does nothing. */
    ReadObserver NONE = (subvolume, bytes, nanos) -> {
    };

    /**
     * One read request was answered (or failed, with {@code bytes} 0).
     *
     * @param subvolume the subvolume read
     * @param bytes     bytes returned
     * @param nanos     how long it took
     */
    void read(String subvolume, long bytes, long nanos);
}
