package io.cloudmirror.config;

/** {@code spec.blobAccount.indexTagsMode}: whether blob index tags are mirrored as xattrs. */
public enum IndexTagsMode {
    /** Tags appear as {@code azindex.<name>} and {@code user.azindex.<name>} xattrs. Needs Storage Blob Data Owner. */
    MirrorIndexTags,
    /** No tag xattrs. Needs only Storage Blob Data Reader. */
    NoIndexTags
}
