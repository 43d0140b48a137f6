package io.cloudmirror.origin;

import java.util.Objects;

/**
 * How an {@link AzureBlobOrigin} authenticates. Secret-bearing kinds never print their secret.
 */
public sealed interface AzureCredential {

    /** A storage account shared key; the account name comes from the endpoint. */
    record AccountKey(String accountName, String key) implements AzureCredential {
        public AccountKey {
            Objects.requireNonNull(accountName, "accountName");
            Objects.requireNonNull(key, "key");
            Redactor.register(key);
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
        public String toString() {
            return "Sas[" + Redactor.MASK + "]";
        }
    }

    /** No credential: a container with public read access. */
    record Anonymous() implements AzureCredential {
    }

    /** Managed identity (IMDS, App Service style endpoints, Azure Arc); {@code clientId} may be empty. */
    record ManagedIdentity(String clientId) implements AzureCredential {
        public ManagedIdentity {
            clientId = clientId == null ? "" : clientId;
        }
    }

    /** Workload identity federation from a projected service account token; {@code clientId} may be empty. */
    record WorkloadIdentity(String clientId) implements AzureCredential {
        public WorkloadIdentity {
            clientId = clientId == null ? "" : clientId;
        }
    }
}
