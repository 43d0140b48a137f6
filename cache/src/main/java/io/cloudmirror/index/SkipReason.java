package io.cloudmirror.index;

/** Why a blob does not appear in the mirror. Counted per generation and shown by status. */
public enum SkipReason {
    /** The name has an empty component: a leading {@code /}, {@code a//b}, or is empty. */
    EMPTY_COMPONENT("empty path component"),
    /** A component is {@code .} or {@code ..}. */
    DOT_COMPONENT("'.' or '..' component"),
    /** A component is longer than 255 bytes in UTF-8 (NAME_MAX). */
    COMPONENT_TOO_LONG("component longer than 255 bytes"),
    /** The whole path is longer than 4095 bytes in UTF-8 (PATH_MAX). */
    PATH_TOO_LONG("path longer than 4095 bytes"),
    /** The name holds a NUL character. */
    NUL_CHARACTER("NUL character"),
    /** The name is not valid Unicode (an unpaired surrogate). */
    INVALID_UNICODE("invalid Unicode"),
    /** A file whose name is also a directory (blobs {@code a} and {@code a/b}): the directory wins. */
    SHADOWED_BY_DIRECTORY("file shadowed by a directory of the same name");

    private final String description;

    SkipReason(String description) {
        this.description = description;
    }

    /** A short human description. */
    public String description() {
        return description;
    }
}
