package io.cloudmirror.origin.vfs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.List;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.file.virtualfs.VirtualFileSystemFactory;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;
import org.apache.sshd.sftp.server.SftpSubsystemFactory;

/**
 * An SFTP server on 127.0.0.1 (Apache MINA SSHD, in this JVM) serving directory {@link #root()} as "/" to
 * user {@link #USER} with password {@link #PASSWORD}. Start it in a test, close it after.
 */
final class SftpServer implements AutoCloseable {

    static final String USER = "mirror";
    static final String PASSWORD = "s3cret-sftp-password";

    private final SshServer sshd;
    private final Path root;
    private final Path hostKey;

    private SftpServer(SshServer sshd, Path root, Path hostKey) {
        this.sshd = sshd;
        this.root = root;
        this.hostKey = hostKey;
    }

    static SftpServer start() throws IOException {
        Path root = Files.createTempDirectory("sftp-root");
        Path keys = Files.createTempDirectory("sftp-keys");
        Path hostKey = keys.resolve("host.key");
        SshServer sshd = SshServer.setUpDefaultServer();
        sshd.setHost("127.0.0.1");
        sshd.setPort(0);
        sshd.setKeyPairProvider(new SimpleGeneratorHostKeyProvider(hostKey));
        sshd.setPasswordAuthenticator((user, password, session) -> USER.equals(user) && PASSWORD.equals(password));
        sshd.setSubsystemFactories(List.of(new SftpSubsystemFactory()));
        sshd.setFileSystemFactory(new VirtualFileSystemFactory(root));
        sshd.start();
        return new SftpServer(sshd, root, hostKey);
    }

    /** The directory served as "/". */
    Path root() {
        return root;
    }

    int port() {
        return sshd.getPort();
    }

    /** {@code sftp://mirror@127.0.0.1:port/path} */
    String uri(String path) {
        return "sftp://" + USER + "@127.0.0.1:" + port() + "/" + path;
    }

    /** Writes a known_hosts file holding this server's host key and returns it. */
    Path knownHosts(Path dir) throws Exception {
        KeyPairProvider provider = sshd.getKeyPairProvider();
        PublicKey key = provider.loadKeys(null).iterator().next().getPublic();
        Path file = dir.resolve("known_hosts");
        Files.writeString(file, "[127.0.0.1]:" + port() + " " + PublicKeyEntry.toString(key) + "\n",
                StandardCharsets.UTF_8);
        return file;
    }

    @Override
    public void close() throws IOException {
        sshd.stop(true);
        FileTreeContract.deleteTree(root);
        FileTreeContract.deleteTree(hostKey.getParent());
    }
}
