package io.cloudmirror.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cloudmirror.config.ConfigLoader;
import io.cloudmirror.config.MirrorConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * The shipped configuration files and Kubernetes manifests parse, and agree with each other: the sample
 * MirrorSubvolumes are valid configurations, the DaemonSet mounts under the host directory it shares
 * Bidirectionally, and the application mounts that same (parent) directory with HostToContainer and reads
 * the subvolume's {@code spec.path} under {@code /data}. No cluster needed.
 */
class ManifestsTest {

    private static final Path ROOT = Path.of(System.getProperty("cloudmirror.root", "..")).toAbsolutePath().normalize();
    private static final Path K8S = ROOT.resolve("packaging/kubernetes");
    private static final Pattern MOUNT = Pattern.compile("cloudmirror mount -f (\\S+) (\\S+) -o (\\S*allow_other\\S*)");

    @TempDir
    Path tmp;

    @Test
    void sampleConfigurationIsValid() throws Exception {
        MirrorConfig c = load(Files.readString(ROOT.resolve("packaging/etc/media.yaml")));
        assertEquals("mirrorSubDir", c.subvolumes().get(0).path());
        String env = Files.readString(ROOT.resolve("packaging/etc/media.env"));
        assertTrue(env.contains("\nMOUNTPOINT=/data\n") && env.contains("\nOPTIONS=allow_other\n"), env);
    }

    @Test
    void daemonSetAndApplicationAgree() throws Exception {
        List<Map<String, Object>> docs = documents("cloudmirror.yaml");
        Map<String, Object> configMap = kind(docs, "ConfigMap");
        Map<String, Object> daemonSet = kind(docs, "DaemonSet");
        Map<String, Object> deployment = kind(documents("app-deployment.yaml"), "Deployment");

        // The DaemonSet: privileged, the host directory shared Bidirectionally, the configuration from the ConfigMap.
        Map<String, Object> dsPod = map(map(map(daemonSet, "spec"), "template"), "spec");
        Map<String, Object> container = list(dsPod, "containers").get(0);
        assertEquals(true, map(container, "securityContext").get("privileged"));
        Map<String, Object> shared = mountWith(container, "Bidirectional");
        String hostDir = hostPath(dsPod, (String) shared.get("name"));
        assertEquals(hostDir, shared.get("mountPath"), "the daemon sees the host directory at the host's path");
        String script = String.join("\n", strings(container, "args"));
        Matcher m = MOUNT.matcher(script);
        assertTrue(m.find(), "the DaemonSet runs cloudmirror mount -f CONFIG MOUNTPOINT -o allow_other: " + script);
        Path configPath = Path.of(m.group(1));
        Path mountpoint = Path.of(m.group(2));
        assertEquals(Path.of(hostDir), mountpoint.getParent(), "the mount point is directly under the host directory");
        Map<String, Object> configMount = list(container, "volumeMounts").stream()
                .filter(v -> configPath.startsWith(Path.of((String) v.get("mountPath")))).findFirst().orElseThrow();
        assertEquals(map(configMap, "metadata").get("name"),
                map(volume(dsPod, (String) configMount.get("name")), "configMap").get("name"));

        // The MirrorSubvolume in the ConfigMap is valid, and its spec.path is what the application reads.
        String yaml = (String) map(configMap, "data").get(configPath.getFileName().toString());
        assertNotNull(yaml, "the ConfigMap holds " + configPath.getFileName());
        String subdir = load(yaml).subvolumes().get(0).path();
        assertTrue(script.contains("ln -sfn " + mountpoint.getFileName() + "/" + subdir + " " + hostDir + "/" + subdir),
                "the DaemonSet links " + hostDir + "/" + subdir + " to the subvolume inside the mount: " + script);

        // The application: the parent host directory, HostToContainer, read-only, at /data; reads /data/<spec.path>.
        Map<String, Object> appPod = map(map(map(deployment, "spec"), "template"), "spec");
        Map<String, Object> app = list(appPod, "containers").get(0);
        Map<String, Object> data = mountWith(app, "HostToContainer");
        assertEquals("/data", data.get("mountPath"));
        assertEquals(true, data.get("readOnly"));
        assertEquals(hostDir, hostPath(appPod, (String) data.get("name")),
                "the application mounts the parent of the cloudmirror mount, not the mount itself");
        assertTrue(String.join(" ", strings(app, "command")).contains("/data/" + subdir));
        assertEquals(true, map(appPod, "securityContext").get("runAsNonRoot"), "a non-root reader (allow_other)");
    }

    private MirrorConfig load(String yaml) throws Exception {
        Path file = tmp.resolve("media.yaml");
        Files.writeString(file, yaml);
        return new ConfigLoader(name -> null, tmp.resolve("cache")).load(file);
    }

    private static List<Map<String, Object>> documents(String file) throws IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object doc : new Yaml().loadAll(Files.readString(K8S.resolve(file)))) {
            out.add(cast(doc));
        }
        return out;
    }

    private static Map<String, Object> kind(List<Map<String, Object>> docs, String kind) {
        return docs.stream().filter(d -> kind.equals(d.get("kind"))).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind));
    }

    private static Map<String, Object> mountWith(Map<String, Object> container, String propagation) {
        return list(container, "volumeMounts").stream().filter(v -> propagation.equals(v.get("mountPropagation")))
                .findFirst().orElseThrow(() -> new AssertionError("no volumeMount with mountPropagation " + propagation));
    }

    private static Map<String, Object> volume(Map<String, Object> pod, String name) {
        return list(pod, "volumes").stream().filter(v -> name.equals(v.get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no volume " + name));
    }

    private static String hostPath(Map<String, Object> pod, String volume) {
        return (String) map(volume(pod, volume), "hostPath").get("path");
    }

    private static Map<String, Object> map(Map<String, Object> m, String key) {
        assertNotNull(m.get(key), "missing " + key + " in " + m.keySet());
        return cast(m.get(key));
    }

    private static List<Map<String, Object>> list(Map<String, Object> m, String key) {
        List<?> l = (List<?>) m.get(key);
        assertNotNull(l, "missing " + key);
        return l.stream().<Map<String, Object>>map(ManifestsTest::cast).toList();
    }

    private static List<String> strings(Map<String, Object> m, String key) {
        List<?> l = (List<?>) m.get(key);
        assertNotNull(l, "missing " + key);
        return l.stream().map(String::valueOf).toList();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Object o) {
        return (Map<String, Object>) o;
    }
}
