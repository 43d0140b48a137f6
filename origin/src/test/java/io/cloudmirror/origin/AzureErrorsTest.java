package io.cloudmirror.origin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.azure.identity.CredentialUnavailableException;
import com.microsoft.aad.msal4j.MsalClientException;
import com.microsoft.aad.msal4j.MsalServiceException;
import java.net.ConnectException;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** How failures to get a token are told apart: refused (Unauthorized) or unreachable (Disconnected). */
class AzureErrorsTest {

    private static final AzureCredential WI = new AzureCredential.WorkloadIdentity("t", "c", Path.of("/token"), null);
    private static final AzureCredential MI = new AzureCredential.ManagedIdentity("");

    @Test
    void aRefusedTokenRequestIsDeniedWithTheAuthoritysReason() {
        // How azure-identity surfaces MSAL's failure on the synchronous path.
        RuntimeException e = new RuntimeException(new ExecutionException(new MsalServiceException(
                "AADSTS70021: No matching federated identity record found for presented assertion.", "invalid_client")));
        OriginException mapped = AzureErrors.map("listing acct/media", e, false, WI);
        assertInstanceOf(OriginException.Denied.class, mapped);
        assertEquals("listing acct/media: no WORKLOAD_IDENTITY token: AADSTS70021: No matching federated identity "
                + "record found for presented assertion.", mapped.getMessage());
        assertEquals(BackendConnection.UNAUTHORIZED, mapped.connection());
    }

    @Test
    void anUnavailableCredentialIsDenied() {
        OriginException mapped = AzureErrors.map("probing acct/media",
                new CredentialUnavailableException("ManagedIdentityCredential authentication unavailable."), false, MI);
        assertInstanceOf(OriginException.Denied.class, mapped);
        assertEquals("probing acct/media: no MANAGED_IDENTITY token: ManagedIdentityCredential authentication "
                + "unavailable.", mapped.getMessage());
    }

    @Test
    void anUnreachableTokenEndpointIsDisconnectedNotUnauthorized() {
        RuntimeException e = new RuntimeException(new MsalClientException(new ConnectException("Connection refused")));
        OriginException mapped = AzureErrors.map("reading acct/media/f", e, true, MI);
        assertInstanceOf(OriginException.Unreachable.class, mapped);
        assertEquals("reading acct/media/f: cannot reach the MANAGED_IDENTITY token endpoint: ConnectException: "
                + "Connection refused", mapped.getMessage());
        assertEquals(BackendConnection.DISCONNECTED, mapped.connection());
    }

    @Test
    void longReasonsAreShortened() {
        String longText = "x".repeat(1000);
        OriginException mapped = AzureErrors.map("listing a/b",
                new MsalServiceException(longText, "invalid_request"), false, WI);
        assertEquals("listing a/b: no WORKLOAD_IDENTITY token: ".length() + 300 + 3, mapped.getMessage().length());
    }
}
