package io.cloudmirror.index;

/** What a path in the mirror is. */
public enum NodeKind {
    FILE,
    DIRECTORY
}
