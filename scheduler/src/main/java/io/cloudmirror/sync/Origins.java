package io.cloudmirror.sync;

import io.cloudmirror.config.IndexTagsMode;
import io.cloudmirror.config.SubvolumeConfig;
import io.cloudmirror.origin.AzureBlobOrigin;
import io.cloudmirror.origin.AzureCredential;
import io.cloudmirror.origin.AzureSettings;
import io.cloudmirror.origin.BlobOrigin;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.function.Function;

/** Builds the {@link BlobOrigin} a subvolume configuration describes, reading its secret. Stateless. */
public final class Origins {

    private Origins() {
    }

    /**
     * Opens the origin of {@code config}; secrets come from its secretFile or secretEnv and are read now,
     * so a missing secret fails here. The SDK client itself is built in the background (see {@link LazyOrigin}).
     */
    public static BlobOrigin open(SubvolumeConfig config, Function<String, String> env) throws IOException {
        SubvolumeConfig.BlobAccount account = config.blobAccount();
        AzureSettings settings = AzureSettings.of(account.endpoint(), account.containerName(),
                credential(config, env), account.indexTagsMode() == IndexTagsMode.MirrorIndexTags);
        return new LazyOrigin(displayName(settings), () -> AzureBlobOrigin.create(settings));
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

    static AzureCredential credential(SubvolumeConfig config, Function<String, String> env) throws IOException {
        SubvolumeConfig.Authentication auth = config.authentication();
        return switch (auth.type()) {
            case ANONYMOUS -> new AzureCredential.Anonymous();
            case MANAGED_IDENTITY -> new AzureCredential.ManagedIdentity(auth.clientId());
            case WORKLOAD_IDENTITY -> new AzureCredential.WorkloadIdentity(auth.clientId());
            case ACCOUNT_KEY -> new AzureCredential.AccountKey(
                    AzureSettings.accountNameOf(config.blobAccount().endpoint()), secret(config, env));
            case SAS -> new AzureCredential.Sas(secret(config, env));
            case CONNECTION_STRING -> new AzureCredential.ConnectionString(secret(config, env));
        };
    }

    /** Reads the secret of a secret-bearing subvolume, trimmed of surrounding whitespace. */
    static String secret(SubvolumeConfig config, Function<String, String> env) throws IOException {
        SubvolumeConfig.Authentication auth = config.authentication();
        String value;
        String where;
        if (auth.secretFile() != null) {
            where = "spec.authentication.secretFile " + auth.secretFile();
            value = Files.readString(auth.secretFile(), StandardCharsets.UTF_8);
        } else {
            where = "spec.authentication.secretEnv " + auth.secretEnv();
            value = env.apply(auth.secretEnv());
        }
        if (value == null || value.isBlank()) {
            throw new IOException(config.name() + ": " + where + " holds no secret");
        }
        return value.strip();
    }
}
