package io.cloudmirror.origin.vfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.cloudmirror.origin.BackendConnection;
import io.cloudmirror.origin.BlobOrigin;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The contract against {@link VfsOrigin} over SFTP, with password authentication, to a server in this JVM. */
class VfsSftpOriginContractTest extends FileTreeContract {

    private static final AtomicInteger SEQ = new AtomicInteger();
    private static SftpServer server;
    private static Path knownHosts;
    private static Path keysDir;

    private String dirName;
    private Path dir;

    @BeforeAll
    static void startServer() throws Exception {
        server = SftpServer.start();
        keysDir = Files.createTempDirectory("sftp-known");
        knownHosts = server.knownHosts(keysDir);
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
        deleteTree(keysDir);
    }

    @Override
    protected void createContainer() throws Exception {
        dirName = "container-" + SEQ.incrementAndGet();
        dir = Files.createDirectory(server.root().resolve(dirName));
    }

    @Override
    protected BlobOrigin newOrigin(boolean includeTags) throws Exception {
        return VfsOrigin.create(new VfsSettings(server.uri(dirName), SftpServer.PASSWORD, knownHosts,
                Duration.ofSeconds(20)));
    }

    @Test
    void wrongPasswordProbesUnauthorized() throws Exception {
        try (BlobOrigin origin = VfsOrigin.create(new VfsSettings(server.uri(dirName), "not-the-password",
                knownHosts, Duration.ofSeconds(20)))) {
            assertEquals(BackendConnection.UNAUTHORIZED, origin.probe().connection());
        }
    }

    @Test
    void unknownHostKeyIsRefused() throws Exception {
        Path other = Files.writeString(keysDir.resolve("other_hosts"), "");
        try (BlobOrigin origin = VfsOrigin.create(new VfsSettings(server.uri(dirName), SftpServer.PASSWORD,
                other, Duration.ofSeconds(20)))) {
            assertNotEquals(BackendConnection.CONNECTED, origin.probe().connection());
        }
    }

    @Override
    protected Stored put(String name, byte[] content, Map<String, String> metadata, Map<String, String> tags)
            throws Exception {
        return putFile(dir, name, content);
    }

    @Override
    protected void delete(String name) throws Exception {
        Files.delete(dir.resolve(name));
    }

    @Override
    protected void dropContainer() throws Exception {
        deleteTree(dir);
    }
}
