package io.cloudmirror.sync;

import io.cloudmirror.config.AuthType;
import io.cloudmirror.config.IndexTagsMode;
import io.cloudmirror.config.SubvolumeConfig;
import io.cloudmirror.origin.AzureBlobOrigin;
import io.cloudmirror.origin.AzureCredential;
import io.cloudmirror.origin.AzureSettings;
import io.cloudmirror.origin.BlobOrigin;
import io.cloudmirror.origin.OriginException;
import io.cloudmirror.origin.Redactor;
import io.cloudmirror.origin.vfs.VfsOrigin;
import io.cloudmirror.origin.vfs.VfsSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the {@link BlobOrigin} a subvolume configuration describes: reads its secret, or resolves the
 * workload identity settings, from the files and the environment it is given. Stateless.
 */
public final class Origins {

    /** The workload identity environment, as the Azure Workload Identity webhook sets it in a pod. */
    static final String TENANT_ID = "AZURE_TENANT_ID";
    static final String CLIENT_ID = "AZURE_CLIENT_ID";
    static final String TOKEN_FILE = "AZURE_FEDERATED_TOKEN_FILE";
    static final String AUTHORITY_HOST = "AZURE_AUTHORITY_HOST";

    /** Managed identity environment variables whose values are secrets. */
    private static final List<String> IDENTITY_SECRETS = List.of("IDENTITY_HEADER", "MSI_SECRET");

    private static final Logger LOG = LoggerFactory.getLogger(Origins.class);

    private Origins() {
    }

    /**
     * Opens the origin of {@code config}; secrets and identity settings come from its files and {@code env}
     * and are read now, so a missing secret fails here. The SDK client itself is built in the background
     * (see {@link LazyOrigin}).
     */
    public static BlobOrigin open(SubvolumeConfig config, Function<String, String> env) throws IOException {
        return open(config, env, LOG::warn);
    }

    /** As {@link #open(SubvolumeConfig, Function)}, telling {@code warnings} what the operator should fix. */
    static BlobOrigin open(SubvolumeConfig config, Function<String, String> env, Consumer<String> warnings)
            throws IOException {
        if (config.vfsSource() != null) {
            return openVfs(config, env, warnings);
        }
        SubvolumeConfig.BlobAccount account = config.blobAccount();
        AzureSettings settings = AzureSettings.of(account.endpoint(), account.containerName(),
                credential(config, env, warnings), account.indexTagsMode() == IndexTagsMode.MirrorIndexTags);
        return new LazyOrigin(displayName(settings), () -> {
            try {
                return AzureBlobOrigin.create(settings);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(config.name() + ": " + e.getMessage(), e);
            }
        });
    }

    /** A {@link VfsOrigin} over {@code spec.vfsSource}, with the password of authType PASSWORD read now. */
    private static BlobOrigin openVfs(SubvolumeConfig config, Function<String, String> env, Consumer<String> warnings)
            throws IOException {
        SubvolumeConfig.VfsSource source = config.vfsSource();
        String password = config.authentication().type() == AuthType.PASSWORD ? secret(config, env, warnings) : null;
        VfsSettings settings;
        try {
            settings = new VfsSettings(source.uri(), password, source.knownHosts(), VfsSettings.DEFAULT_TIMEOUT);
        } catch (IllegalArgumentException e) {
            throw new IOException(config.name() + ": spec.vfsSource.uri: " + e.getMessage(), e);
        }
        return new LazyOrigin(settings.displayName(), () -> {
            try {
                return VfsOrigin.create(settings);
            } catch (OriginException e) {
                throw new UncheckedIOException(config.name() + ": " + e.getMessage(), e);
            }
        });
    }

    /** {@code account/container}, as the SDK client will name it, without building the client. */
    static String displayName(AzureSettings settings) {
        String account = settings.accountName();
        if (settings.credential() instanceof AzureCredential.ConnectionString cs) {
            for (String part : cs.value().split(";")) {
                int eq = part.indexOf('=');
                if (eq > 0 && part.substring(0, eq).strip().equalsIgnoreCase("AccountName")) {
                    account = part.substring(eq + 1).strip();
                }
            }
        }
        return account + "/" + settings.container();
    }

    static AzureCredential credential(SubvolumeConfig config, Function<String, String> env, Consumer<String> warnings)
            throws IOException {
        SubvolumeConfig.Authentication auth = config.authentication();
        return switch (auth.type()) {
            case ANONYMOUS -> new AzureCredential.Anonymous();
            case MANAGED_IDENTITY -> {
                for (String name : IDENTITY_SECRETS) {
                    Redactor.register(env.apply(name));
                }
                yield new AzureCredential.ManagedIdentity(auth.clientId());
            }
            case WORKLOAD_IDENTITY -> workloadIdentity(config, env);
            case ACCOUNT_KEY -> new AzureCredential.AccountKey(
                    AzureSettings.accountNameOf(config.blobAccount().endpoint()), secret(config, env, warnings));
            case SAS -> new AzureCredential.Sas(secret(config, env, warnings));
            case CONNECTION_STRING -> new AzureCredential.ConnectionString(secret(config, env, warnings));
            case PASSWORD -> throw new IOException(config.name() + ": authType PASSWORD is for spec.vfsSource, "
                    + "not an Azure container");
        };
    }

    /**
     * Workload identity from the environment; {@code spec.authentication.clientId}, when set, wins over
     * {@code AZURE_CLIENT_ID} (several subvolumes may use several identities).
     */
    static AzureCredential.WorkloadIdentity workloadIdentity(SubvolumeConfig config, Function<String, String> env)
            throws IOException {
        String tenant = value(env, TENANT_ID);
        String clientId = config.authentication().clientId().isEmpty() ? value(env, CLIENT_ID)
                : config.authentication().clientId();
        String tokenFile = value(env, TOKEN_FILE);
        List<String> missing = new ArrayList<>();
        if (tenant.isEmpty()) {
            missing.add(TENANT_ID);
        }
        if (clientId.isEmpty()) {
            missing.add(CLIENT_ID + " (or spec.authentication.clientId)");
        }
        if (tokenFile.isEmpty()) {
            missing.add(TOKEN_FILE);
        }
        String prefix = config.name() + ": authType WORKLOAD_IDENTITY ";
        if (!missing.isEmpty()) {
            throw new IOException(prefix + "needs " + TENANT_ID + ", " + CLIENT_ID + " and " + TOKEN_FILE
                    + " in the daemon's environment, as the Azure Workload Identity webhook sets them in a pod "
                    + "labelled azure.workload.identity/use: \"true\"; not set: " + String.join(", ", missing));
        }
        Path file = Path.of(tokenFile);
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new IOException(prefix + "cannot read its federated token: " + TOKEN_FILE + " names " + file
                    + ", which is not a readable file");
        }
        URI authority = null;
        String host = value(env, AUTHORITY_HOST);
        if (!host.isEmpty()) {
            try {
                authority = new URI(host);
            } catch (URISyntaxException e) {
                authority = null;
            }
            if (authority == null || !"https".equalsIgnoreCase(authority.getScheme()) || authority.getHost() == null) {
                throw new IOException(prefix + "needs " + AUTHORITY_HOST + " to be an https URL such as "
                        + AzureCredential.WorkloadIdentity.DEFAULT_AUTHORITY_HOST + ", got \"" + host + "\"");
            }
        }
        return new AzureCredential.WorkloadIdentity(tenant, clientId, file, authority);
    }

    private static String value(Function<String, String> env, String name) {
        String v = env.apply(name);
        return v == null ? "" : v.strip();
    }

    /**
     * Reads the secret of a secret-bearing subvolume, trimmed of surrounding whitespace. A secret file that
     * others can read is reported to {@code warnings} (it is still used).
     */
    static String secret(SubvolumeConfig config, Function<String, String> env, Consumer<String> warnings)
            throws IOException {
        SubvolumeConfig.Authentication auth = config.authentication();
        String value;
        String where;
        if (auth.secretFile() != null) {
            where = "spec.authentication.secretFile " + auth.secretFile();
            try {
                value = Files.readString(auth.secretFile(), StandardCharsets.UTF_8);
            } catch (NoSuchFileException e) {
                throw new IOException(config.name() + ": " + where + " does not exist", e);
            } catch (AccessDeniedException e) {
                throw new IOException(config.name() + ": " + where + " is not readable by this user", e);
            }
            exposure(auth.secretFile()).ifPresent(w -> warnings.accept(config.name() + ": " + w));
        } else {
            where = "spec.authentication.secretEnv " + auth.secretEnv();
            value = env.apply(auth.secretEnv());
        }
        if (value == null || value.isBlank()) {
            throw new IOException(config.name() + ": " + where + " holds no secret");
        }
        return value.strip();
    }

    /** Why {@code file} holding a secret is exposed (readable or writable by group or others), if it is. */
    static Optional<String> exposure(Path file) throws IOException {
        Set<PosixFilePermission> perms;
        try {
            perms = Files.getPosixFilePermissions(file);
        } catch (UnsupportedOperationException notPosix) {
            return Optional.empty();
        }
        List<String> who = new ArrayList<>();
        if (perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.GROUP_WRITE)) {
            who.add("its group");
        }
        if (perms.contains(PosixFilePermission.OTHERS_READ) || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
            who.add("other users");
        }
        if (who.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("secret file " + file + " is accessible to " + String.join(" and ", who)
                + " (mode " + PosixFilePermissions.toString(perms) + "); restrict it: chmod 600 " + file);
    }
}
