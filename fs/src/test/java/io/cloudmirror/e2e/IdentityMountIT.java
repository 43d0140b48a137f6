package io.cloudmirror.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.sas.BlobContainerSasPermission;
import com.azure.storage.blob.sas.BlobServiceSasSignatureValues;
import io.cloudmirror.origin.Azurite;
import io.cloudmirror.origin.TestTls;
import io.cloudmirror.origin.TokenServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mounts that authenticate as edge hosts do, through the real launcher and the kernel, against Azurite over
 * HTTPS with {@code --oauth basic}: the daemon trusts the test certificate through the standard
 * {@code javax.net.ssl.trustStore} properties in {@code CLOUDMIRROR_JAVA_OPTS}, and finds its managed identity
 * endpoint in its environment, as on an Azure Arc or App Service host. Secrets never show in the daemon's
 * command line or log.
 */
class IdentityMountIT {

    @RegisterExtension
    static final Azurite AZURITE = Azurite.withOAuth();

    private static final String CONTAINER = "media";
    private static final int FILES = 40;

    private static TokenServer tokens;

    @TempDir
    Path tmp;

    private final List<String> secrets = new ArrayList<>();

    @BeforeAll
    static void fixtures() {
        tokens = TokenServer.start();
        BlobContainerClient c = AZURITE.createContainer(CONTAINER);
        for (int i = 0; i < FILES; i++) {
            c.getBlobClient("f" + i + ".txt").upload(BinaryData.fromString("file " + i));
        }
    }

    @AfterAll
    static void stopTokens() {
        tokens.close();
    }

    @AfterEach
    void healthy() {
        tokens.behave(TokenServer.Behaviour.HEALTHY);
        tokens.lifetime(Duration.ofHours(1));
    }

    private static Map<String, String> daemonEnvironment(Map<String, String> identity) {
        Map<String, String> env = new HashMap<>(identity);
        env.put("CLOUDMIRROR_JAVA_OPTS", String.join(" ", TestTls.shared().trustStoreProperties()));
        return env;
    }

    /** Asserts that neither the daemon's command line nor its log holds any of {@link #secrets}. */
    private void assertNoSecretShown(MirrorMount m) throws Exception {
        long pid = m.daemonPid();
        assertTrue(pid > 0, "daemon pid");
        String cmdline = Files.readString(Path.of("/proc/" + pid + "/cmdline"), StandardCharsets.UTF_8).replace('\0', ' ');
        String ps = Sh.bash("ps -ww -o args= -p " + pid).out();
        String log = m.logText();
        assertTrue(cmdline.contains("io.cloudmirror.cli.Main mount -f"), cmdline);
        for (String secret : secrets) {
            assertFalse(cmdline.contains(secret), "/proc/" + pid + "/cmdline holds a secret: " + cmdline);
            assertFalse(ps.contains(secret), "ps shows a secret: " + ps);
            assertFalse(log.contains(secret), "the log holds a secret:\n" + log);
        }
    }

    @Test
    void managedIdentityMountReadsThroughTheKernelKeepsServingWhenRevokedAndRecovers() throws Exception {
        tokens.lifetime(Duration.ofSeconds(40));
        try (MirrorMount m = new MirrorMount(tmp)) {
            // No prefetch: the point is that reads reach the origin with the identity's token.
            m.writeAuthConfig(AZURITE.endpoint().toString(), "authType: MANAGED_IDENTITY", CONTAINER, "NoIndexTags",
                    "    prefetch: none\n");
            Sh.Result r = m.mount(daemonEnvironment(tokens.appServiceEnvironment()));
            assertEquals(0, r.exit(), r + "\nlog:\n" + m.logText());
            m.awaitFiles(FILES, Duration.ofMinutes(2));
            Path root = m.mountpoint.resolve("mirrorSubDir");
            assertEquals("file 0", Files.readString(root.resolve("f0.txt")));
            assertTrue(tokens.requests("appservice").size() > 0, "the token came from the identity endpoint");

            // The identity is removed: once the daemon's token expires, uncached reads fail; the tree stays.
            tokens.behave(TokenServer.Behaviour.REFUSE);
            int next = 1;
            long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
            Sh.Result cat = null;
            while (System.nanoTime() < deadline) {
                cat = Sh.bash(root, "cat f" + next++ + ".txt");
                if (cat.exit() != 0 || next >= FILES / 2) {
                    break;
                }
                Thread.sleep(3000);
            }
            assertTrue(cat != null && cat.exit() != 0, "reads kept working after the identity was removed: " + cat);
            assertTrue(cat.err().contains("Input/output error"), cat.toString());
            assertEquals(Integer.toString(FILES), Sh.bash("ls '" + root + "' | wc -l").out().strip(),
                    "the mount keeps serving the tree");
            String log = m.logText();
            assertTrue(log.contains("no MANAGED_IDENTITY token: "), "the log says why:\n" + log);

            // The identity is back: reads work again without a remount.
            tokens.behave(TokenServer.Behaviour.HEALTHY);
            int from = next;
            deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
            while (System.nanoTime() < deadline && next < FILES) {
                cat = Sh.bash(root, "cat f" + next++ + ".txt");
                if (cat.exit() == 0) {
                    break;
                }
                Thread.sleep(3000);
            }
            assertEquals(0, cat.exit(), "reads did not recover: " + cat + "\nlog:\n" + m.logText());
            assertEquals("file " + (next - 1), cat.out(), "read f" + (next - 1) + " after recovering (from f" + from + ")");

            secrets.add(tokens.identityHeader());
            secrets.addAll(tokens.issuedTokens());
            assertNoSecretShown(m);
        }
    }

    @Test
    void sasMountWarnsAboutAnExposedSecretFileAndNeverShowsTheSas() throws Exception {
        String sas = AZURITE.container(CONTAINER).generateSas(new BlobServiceSasSignatureValues(
                OffsetDateTime.now().plusHours(1), BlobContainerSasPermission.parse("rl")));
        String sig = java.net.URLDecoder.decode(sas.replaceAll(".*\\bsig=([^&]*).*", "$1"), StandardCharsets.UTF_8);
        secrets.add(sas);
        secrets.add(sig);
        secrets.add(sas.replaceAll(".*\\bsig=([^&]*).*", "$1"));
        try (MirrorMount m = new MirrorMount(tmp)) {
            Path secretFile = tmp.resolve("media.sas");
            Files.writeString(secretFile, "?" + sas + "\n");
            Files.setPosixFilePermissions(secretFile, PosixFilePermissions.fromString("rw-r--r--"));
            m.writeAuthConfig(AZURITE.endpoint().toString(), "authType: SAS\nsecretFile: media.sas", CONTAINER,
                    "NoIndexTags", "");
            Sh.Result r = m.mount(daemonEnvironment(Map.of()));
            assertEquals(0, r.exit(), r + "\nlog:\n" + m.logText());
            m.awaitFiles(FILES, Duration.ofMinutes(2));
            assertEquals("file 7", Files.readString(m.mountpoint.resolve("mirrorSubDir/f7.txt")));
            String log = m.logText();
            assertTrue(log.contains("WARN") && log.contains("media: secret file " + secretFile + " is accessible to its "
                    + "group and other users (mode rw-r--r--); restrict it: chmod 600 " + secretFile), log);
            assertNoSecretShown(m);
        }
    }
}
