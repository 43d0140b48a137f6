package io.cloudmirror.config;

/** {@code spec.authentication.authType}: how a subvolume authenticates to its storage account or VFS source. */
public enum AuthType {
    /** Azure managed identity (the Arc extension identity); no secret. */
    MANAGED_IDENTITY(false),
    /** Kubernetes workload identity federation; no secret. */
    WORKLOAD_IDENTITY(false),
    /** A storage connection string, read from {@code secretFile} or {@code secretEnv}. */
    CONNECTION_STRING(true),
    /** A SAS token, read from {@code secretFile} or {@code secretEnv}. */
    SAS(true),
    /** A storage account key, read from {@code secretFile} or {@code secretEnv}. */
    ACCOUNT_KEY(true),
    /** No credential: a public container. */
    ANONYMOUS(false),
    /** spec.vfsSource only: a password for sftp or HTTP basic authentication, read from {@code secretFile} or {@code secretEnv}. */
    PASSWORD(true);


    private final boolean needsSecret;

    AuthType(boolean needsSecret) {
        this.needsSecret = needsSecret;
    }

    /** Whether this type reads a secret from {@code secretFile} or {@code secretEnv}. */
    public boolean needsSecret() {
        return needsSecret;
    }
}
