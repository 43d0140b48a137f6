package io.cloudmirror.origin;

import java.net.URI;
import java.nio.file.Path;
import java.util.Objects;

/**
 * How an {@link AzureBlobOrigin} authenticates. Secret-bearing kinds never print their secret.
 */
public sealed interface AzureCredential {

    /** The {@code spec.authentication.authType} this credential implements, for messages. */
    String authType();

    /** A storage account shared key; the account name comes from the endpoint. */
    record AccountKey(String accountName, String key) implements AzureCredential {
        public AccountKey {
            Objects.requireNonNull(accountName, "accountName");
            Objects.requireNonNull(key, "key");
            Redactor.register(key);
        }

        @Override
        public String authType() {
            return "ACCOUNT_KEY";
        }

        @Override
        public String toString() {
            return "AccountKey[" + accountName + ", " + Redactor.MASK + "]";
        }
    }

    /** A full storage connection string (it may carry a key or a SAS). */
    record ConnectionString(String value) implements AzureCredential {
        public ConnectionString {
            Objects.requireNonNull(value, "value");
            for (String part : value.split(";")) {
                int eq = part.indexOf('=');
                if (eq > 0 && part.substring(0, eq).strip().matches("(?i)AccountKey|SharedAccessSignature")) {
                    Redactor.register(part.substring(eq + 1));
                }
            }
        }

        @Override
        public String authType() {
            return "CONNECTION_STRING";
        }

        @Override
        public String toString() {
            return "ConnectionString[" + Redactor.MASK + "]";
        }
    }

    /** A shared access signature token (the query string, with or without a leading {@code ?}). */
    record Sas(String token) implements AzureCredential {
        public Sas {
            Objects.requireNonNull(token, "token");
            token = token.startsWith("?") ? token.substring(1) : token;
            Redactor.register(token);
        }

        @Override
        public String authType() {
            return "SAS";
        }

        /** The value of one SAS query parameter ({@code sp}, {@code se}, {@code srt}, ...), or empty. */
        public String parameter(String name) {
            for (String pair : token.split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0 && pair.substring(0, eq).equals(name)) {
                    return java.net.URLDecoder.decode(pair.substring(eq + 1), java.nio.charset.StandardCharsets.UTF_8);
                }
            }
            return "";
        }

        @Override
        public String toString() {
            return "Sas[" + Redactor.MASK + "]";
        }
    }

    /** No credential: a container with public read access. */
    record Anonymous() implements AzureCredential {
        @Override
        public String authType() {
            return "ANONYMOUS";
        }
    }

    /**
     * Managed identity through azure-identity's {@code ManagedIdentityCredential}. Where the token comes from is
     * decided by the process environment, as azure-identity (MSAL under it) reads it with
     * {@link System#getenv}: Azure Arc ({@code IDENTITY_ENDPOINT} and {@code IMDS_ENDPOINT}, with its key-file
     * challenge), App Service ({@code IDENTITY_ENDPOINT} and {@code IDENTITY_HEADER}), Service Fabric, Cloud
     * Shell ({@code MSI_ENDPOINT}), AKS token exchange ({@code AZURE_TENANT_ID} and
     * {@code AZURE_FEDERATED_TOKEN_FILE}), else IMDS (169.254.169.254, or {@code AZURE_POD_IDENTITY_AUTHORITY_HOST}).
     *
     * @param clientId a user-assigned identity's client id, or empty for the system-assigned identity
     */
    record ManagedIdentity(String clientId) implements AzureCredential {
        public ManagedIdentity {
            clientId = clientId == null ? "" : clientId;
        }

        @Override
        public String authType() {
            return "MANAGED_IDENTITY";
        }
    }

    /**
     * Workload identity federation: the projected service account token in {@code tokenFile} is exchanged for an
     * access token at the Entra ID authority. The file is read again for every token request, so a rotated
     * token is picked up. These are what the workload identity webhook puts in {@code AZURE_TENANT_ID},
     * {@code AZURE_CLIENT_ID}, {@code AZURE_FEDERATED_TOKEN_FILE} and {@code AZURE_AUTHORITY_HOST}.
     *
     * @param tenantId      the Entra ID tenant
     * @param clientId      the client id of the application or user-assigned identity federated with the token
     * @param tokenFile     the file holding the federated token
     * @param authorityHost the authority, e.g. {@code https://login.microsoftonline.com/}
     */
    record WorkloadIdentity(String tenantId, String clientId, Path tokenFile, URI authorityHost)
            implements AzureCredential {

        /** The public-cloud authority, when {@code AZURE_AUTHORITY_HOST} is not set. */
        public static final URI DEFAULT_AUTHORITY_HOST = URI.create("https://login.microsoftonline.com/");

        public WorkloadIdentity {
            Objects.requireNonNull(tenantId, "tenantId");
            Objects.requireNonNull(clientId, "clientId");
            Objects.requireNonNull(tokenFile, "tokenFile");
            authorityHost = authorityHost == null ? DEFAULT_AUTHORITY_HOST : authorityHost;
            if (!"https".equalsIgnoreCase(authorityHost.getScheme())) {
                throw new IllegalArgumentException("the authority host must be an https URL, got " + authorityHost);
            }
        }

        @Override
        public String authType() {
            return "WORKLOAD_IDENTITY";
        }
    }
}
