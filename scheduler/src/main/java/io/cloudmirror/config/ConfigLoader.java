package io.cloudmirror.config;

import io.cloudmirror.origin.vfs.VfsSettings;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Reads and validates {@code MirrorSubvolume} YAML: one file (possibly several documents separated by
 * {@code ---}) or a directory of {@code *.yaml}/{@code *.yml} files. Every problem is collected and
 * reported together, each naming its file, line, field and what was expected.
 *
 * <p>Thread-safe and stateless apart from its injected environment.
 */
public final class ConfigLoader {

    public static final String API_VERSION = "arccontainerstorage.azure.net/v1";
    public static final String KIND = "MirrorSubvolume";
    /** The block cache budget when {@code spec.cache.maxSize} is not set. */
    public static final long DEFAULT_MAX_SIZE = 10L << 30;

    private static final Pattern DNS_NAME = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern CONTAINER = Pattern.compile("\\$root|\\$web|\\$logs|[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private static final Set<String> TOP = ordered("apiVersion", "kind", "metadata", "spec");
    private static final Set<String> METADATA = ordered("name", "namespace", "labels", "annotations");
    private static final Set<String> SPEC = ordered("edgevolume", "path", "authentication", "blobAccount",
            "vfsSource", "blobFiltering", "schedule", "cache");
    private static final Set<String> AUTH = ordered("authType", "clientId", "secretFile", "secretEnv");
    private static final Set<String> ACCOUNT = ordered("accountEndpoint", "containerName", "indexTagsMode");
    private static final Set<String> VFS = ordered("uri", "knownHostsFile");
    private static final Set<String> FILTERING = ordered("blobNamePrefix");
    private static final Set<String> SCHEDULE = ordered("frequency", "oneshot");
    private static final Set<String> CACHE = ordered("directory", "maxSize", "prefetch");
    private static final Map<String, String> NESTED = new HashMap<>();
    /** Where fields found at the top level belong. */
    private static final Map<String, String> TOP_ELSEWHERE = new HashMap<>();

    static {
        AUTH.forEach(k -> NESTED.put(k, "spec.authentication"));
        ACCOUNT.forEach(k -> NESTED.put(k, "spec.blobAccount"));
        VFS.forEach(k -> NESTED.put(k, "spec.vfsSource"));
        FILTERING.forEach(k -> NESTED.put(k, "spec.blobFiltering"));
        SCHEDULE.forEach(k -> NESTED.put(k, "spec.schedule"));
        CACHE.forEach(k -> NESTED.put(k, "spec.cache"));
        TOP_ELSEWHERE.putAll(NESTED);
        SPEC.forEach(k -> TOP_ELSEWHERE.put(k, "spec"));
        METADATA.forEach(k -> TOP_ELSEWHERE.put(k, "metadata"));
    }

    private final Function<String, String> env;
    private final Path cacheRoot;

    /**
     * @param env       looks up environment variables (for {@code secretEnv})
     * @param cacheRoot where cache directories go when {@code spec.cache.directory} is not set
     */
    public ConfigLoader(Function<String, String> env, Path cacheRoot) {
        this.env = env;
        this.cacheRoot = cacheRoot;
    }

    /** A loader for this process: its environment and the default cache root for its user. */
    public static ConfigLoader forThisProcess() {
        return new ConfigLoader(System::getenv, defaultCacheRoot(System::getenv, "root".equals(System.getProperty("user.name"))));
    }

    /** {@code /var/cache/cloudmirror} for root, else {@code $XDG_CACHE_HOME/cloudmirror} or {@code ~/.cache/cloudmirror}. */
    public static Path defaultCacheRoot(Function<String, String> env, boolean root) {
        if (root) {
            return Path.of("/var/cache/cloudmirror");
        }
        String xdg = env.apply("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg, "cloudmirror");
        }
        return Path.of(System.getProperty("user.home"), ".cache", "cloudmirror");
    }

    /** Loads {@code source} (a file or a directory); throws with every problem found. */
    public MirrorConfig load(Path source) throws ConfigException {
        List<ConfigProblem> problems = new ArrayList<>();
        List<Parsed> subvolumes = new ArrayList<>();
        Path abs = source.toAbsolutePath().normalize();
        List<Path> files = files(abs, problems);
        for (Path f : files) {
            parseFile(f, subvolumes, problems);
        }
        if (problems.isEmpty() && subvolumes.isEmpty()) {
            problems.add(new ConfigProblem(abs, 0, "", "no MirrorSubvolume documents found"));
        }
        checkAcrossSubvolumes(subvolumes, problems);
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new MirrorConfig(abs, subvolumes.stream().map(Parsed::config).toList());
    }

    private static List<Path> files(Path source, List<ConfigProblem> problems) {
        if (!Files.exists(source)) {
            problems.add(new ConfigProblem(source, 0, "", "no such file or directory"));
            return List.of();
        }
        if (!Files.isDirectory(source)) {
            return List.of(source);
        }
        try (Stream<Path> entries = Files.list(source)) {
            List<Path> yaml = entries.filter(p -> {
                String n = p.getFileName().toString();
                return (n.endsWith(".yaml") || n.endsWith(".yml")) && !n.startsWith(".") && Files.isRegularFile(p);
            }).sorted().toList();
            if (yaml.isEmpty()) {
                problems.add(new ConfigProblem(source, 0, "", "directory holds no *.yaml or *.yml files"));
            }
            return yaml;
        } catch (IOException e) {
            problems.add(new ConfigProblem(source, 0, "", "cannot list directory: " + e.getMessage()));
            return List.of();
        }
    }

    /** A parsed subvolume and the lines of the fields that must be unique across subvolumes. */
    private record Parsed(SubvolumeConfig config, int nameLine, int pathLine, int cacheLine) {
    }

    private void parseFile(Path file, List<Parsed> out, List<ConfigProblem> problems) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        options.setMaxAliasesForCollections(10);
        options.setCodePointLimit(4 * 1024 * 1024);
        Yaml yaml = new Yaml(options);
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int docs = 0;
            for (Node doc : yaml.composeAll(r)) {
                if (doc == null || doc instanceof ScalarNode n && Tag.NULL.equals(n.getTag())) {
                    continue; // an empty document, e.g. after a stray or trailing "---"
                }
                docs++;
                Parsed s = parseDocument(file, doc, problems);
                if (s != null) {
                    out.add(s);
                }
            }
            if (docs == 0) {
                problems.add(new ConfigProblem(file, 0, "", "file is empty; expected a MirrorSubvolume document"));
            }
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() == null ? 0 : e.getProblemMark().getLine() + 1;
            String problem = String.valueOf(e.getProblem());
            if (problem.startsWith("found character '@'") || problem.startsWith("found character '`'")) {
                // SnakeYAML adds "(Do not use @ for indentation)", which misleads: the value needs quotes.
                char c = problem.charAt("found character '".length());
                problem = "found character '" + c + "' that cannot start an unquoted value; quote values that "
                        + "start with " + c + ", e.g. frequency: \"@hourly\"";
            } else if (e.getContext() != null) {
                problem += " (" + e.getContext() + ")";
            }
            problems.add(new ConfigProblem(file, line, "", "not valid YAML: " + problem));
        } catch (YAMLException e) {
            problems.add(e.getCause() instanceof CharacterCodingException ? notUtf8(file)
                    : new ConfigProblem(file, 0, "", "not valid YAML: " + e.getMessage()));
        } catch (CharacterCodingException e) {
            problems.add(notUtf8(file));
        } catch (IOException e) {
            problems.add(new ConfigProblem(file, 0, "", "cannot read: " + e.getMessage()));
        }
    }

    /** The problem for a file that is not UTF-8, at the line of its first bad byte when it can be found. */
    private static ConfigProblem notUtf8(Path file) {
        try {
            byte[] bytes;
            try (InputStream stream = Files.newInputStream(file)) {
                bytes = stream.readNBytes(16 << 20);
            }
            ByteBuffer in = ByteBuffer.wrap(bytes);
            CoderResult result = StandardCharsets.UTF_8.newDecoder().decode(in, CharBuffer.allocate(bytes.length),
                    bytes.length < 16 << 20);
            if (result.isError()) {
                int line = 1;
                for (int i = 0; i < in.position(); i++) {
                    line += bytes[i] == '\n' ? 1 : 0;
                }
                return new ConfigProblem(file, line, "", String.format(Locale.ROOT, "not UTF-8 text (byte 0x%02X); "
                        + "expected the file to be saved as UTF-8", bytes[in.position()] & 0xff));
            }
        } catch (IOException | RuntimeException e) {
            // fall through to the general message
        }
        return new ConfigProblem(file, 0, "", "not UTF-8 text; expected the file to be saved as UTF-8");
    }

    private Parsed parseDocument(Path file, Node doc, List<ConfigProblem> problems) {
        int before = problems.size();
        YamlFields top = YamlFields.root(file, doc, problems);
        String apiVersion = top.string("apiVersion", true, "\"" + API_VERSION + "\"");
        if (apiVersion != null && !apiVersion.equals(API_VERSION)) {
            top.problem("apiVersion", "expected \"" + API_VERSION + "\", got \"" + apiVersion + "\"");
        }
        String kind = top.string("kind", true, KIND);
        if (kind != null && !kind.equals(KIND)) {
            top.problem("kind", "expected " + KIND + ", got \"" + kind + "\"");
        }
        YamlFields metadata = top.mapping("metadata", true, "name");
        String name = metadata.string("name", true, "a lowercase name (a-z, 0-9, '-', '.')");
        if (name != null && (name.length() > 253 || !DNS_NAME.matcher(name).matches())) {
            metadata.problem("name", "expected a lowercase name of at most 253 characters (a-z, 0-9, '-', '.', "
                    + "starting and ending with a letter or digit), got \"" + name + "\"");
        }
        metadata.string("namespace", false, "a namespace name");
        metadata.mapping("labels", false, "string values");
        metadata.mapping("annotations", false, "string values");
        metadata.rejectUnknown(METADATA, Map.of());

        YamlFields spec = top.mapping("spec", true, "path, authentication, blobAccount and schedule");
        String edgeVolume = spec.string("edgevolume", false, "the edge volume name");
        String path = spec.string("path", true, "a subdirectory name such as mirrorSubDir");
        if (path != null) {
            path = checkPath(spec, path);
        }
        boolean vfs = spec.has("vfsSource");
        if (vfs && spec.has("blobAccount")) {
            spec.problem("vfsSource", "set spec.blobAccount (an Azure container) or spec.vfsSource (another source), "
                    + "not both");
            spec.mapping("vfsSource", false, "uri"); // reported; check the rest as an Azure subvolume
            vfs = false;
        }
        SubvolumeConfig.Authentication auth = authentication(spec, file, vfs);
        SubvolumeConfig.BlobAccount account = vfs ? null : blobAccount(spec, auth == null ? null : auth.type());
        SubvolumeConfig.VfsSource source = vfs ? vfsSource(spec, file, auth == null ? null : auth.type()) : null;
        YamlFields filtering = spec.mapping("blobFiltering", false, "blobNamePrefix");
        String prefix = filtering.string("blobNamePrefix", false, "a blob name prefix");
        filtering.rejectUnknown(FILTERING, Map.of());
        SubvolumeConfig.Schedule schedule = schedule(spec);
        YamlFields cacheFields = spec.mapping("cache", false, "directory, maxSize and prefetch");
        SubvolumeConfig.CacheSettings cache = cache(cacheFields, name);
        spec.rejectUnknown(SPEC, NESTED);
        top.rejectUnknown(TOP, TOP_ELSEWHERE);
        if (problems.size() > before) {
            return null;
        }
        return new Parsed(new SubvolumeConfig(file, name, edgeVolume, path, auth, account, source, prefix, schedule, cache),
                metadata.line("name"), spec.line("path"),
                cacheFields.has("directory") ? cacheFields.line("directory") : metadata.line("name"));
    }

    private static String checkPath(YamlFields spec, String raw) {
        String path = raw.strip();
        if (path.startsWith("/")) {
            spec.problem("path", "must not start with '/' (the product document says: don't use a preceding "
                    + "slash); expected a subdirectory name such as mirrorSubDir, got \"" + raw + "\"");
            return null;
        }
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        if (path.isEmpty()) {
            spec.problem("path", "expected a subdirectory name such as mirrorSubDir, got \"" + raw + "\"");
            return null;
        }
        for (String component : path.split("/", -1)) {
            if (component.isEmpty() || component.equals(".") || component.equals("..") || component.indexOf('\0') >= 0
                    || component.getBytes(StandardCharsets.UTF_8).length > 255) {
                spec.problem("path", "expected a relative path of non-empty names without '.' or '..', got \"" + raw + "\"");
                return null;
            }
        }
        return path;
    }

    /**
     * {@code spec.authentication}; optional for a {@code vfsSource} (then ANONYMOUS), which takes only
     * ANONYMOUS or PASSWORD, while an Azure container takes every type but PASSWORD.
     */
    private SubvolumeConfig.Authentication authentication(YamlFields spec, Path file, boolean vfs) {
        YamlFields a = spec.mapping("authentication", !vfs, "authType");
        AuthType type = a.enumValue("authType", AuthType.class, !vfs, vfs ? AuthType.ANONYMOUS : null);
        if (vfs && type != null && type != AuthType.ANONYMOUS && type != AuthType.PASSWORD) {
            a.problem("authType", "a spec.vfsSource takes authType ANONYMOUS or PASSWORD (sftp or HTTP basic "
                    + "authentication), got " + type);
        } else if (!vfs && type == AuthType.PASSWORD) {
            a.problem("authType", "authType PASSWORD is for spec.vfsSource (sftp, http); an Azure container takes "
                    + "MANAGED_IDENTITY, WORKLOAD_IDENTITY, CONNECTION_STRING, SAS, ACCOUNT_KEY or ANONYMOUS");
        }
        String clientId = a.string("clientId", false, "a client id (GUID)");
        String secretFile = a.string("secretFile", false, "the path of a file holding the secret");
        String secretEnv = a.string("secretEnv", false, "the name of an environment variable holding the secret");
        a.rejectUnknown(AUTH, Map.of());
        if (type == null) {
            return null;
        }
        boolean hasFile = secretFile != null && !secretFile.isBlank();
        boolean hasEnv = secretEnv != null && !secretEnv.isBlank();
        Path secretPath = null;
        if (type.needsSecret()) {
            if (hasFile && hasEnv) {
                a.problem("secretEnv", "set secretFile or secretEnv, not both");
            } else if (!hasFile && !hasEnv) {
                a.problem("authType", "authType " + type + " needs its secret: set spec.authentication.secretFile "
                        + "(a file holding it) or spec.authentication.secretEnv (an environment variable holding it); "
                        + "secrets are never written in the YAML itself");
            } else if (hasFile) {
                secretPath = file.getParent().resolve(secretFile.strip()).normalize();
                if (!Files.isRegularFile(secretPath)) {
                    a.problem("secretFile", "no such file: " + secretPath);
                } else if (!Files.isReadable(secretPath)) {
                    a.problem("secretFile", "cannot read " + secretPath + " (permission denied)");
                }
            } else if (!ENV_NAME.matcher(secretEnv.strip()).matches()) {
                a.problem("secretEnv", "expected an environment variable name, got \"" + secretEnv + "\"");
            } else {
                String v = env.apply(secretEnv.strip());
                if (v == null || v.isBlank()) {
                    a.problem("secretEnv", "environment variable " + secretEnv.strip() + " is not set or empty");
                }
            }
        } else if (hasFile || hasEnv) {
            a.problem(hasFile ? "secretFile" : "secretEnv", "authType " + type + " takes no secret; remove this field "
                    + (vfs ? "or use PASSWORD" : "or use CONNECTION_STRING, SAS or ACCOUNT_KEY"));
        }
        if (!clientId(type) && clientId != null && !clientId.isBlank()) {
            a.problem("clientId", "authType " + type + " takes no clientId; only MANAGED_IDENTITY and "
                    + "WORKLOAD_IDENTITY take a clientId");
        } else if (clientId != null && !clientId.isBlank() && !isUuid(clientId.strip())) {
            a.problem("clientId", "expected a client id (GUID such as 00000000-0000-0000-0000-000000000000), got \""
                    + clientId + "\"");
        }
        return new SubvolumeConfig.Authentication(type, clientId == null ? "" : clientId.strip(), secretPath,
                hasEnv ? secretEnv.strip() : "");
    }

    private static boolean clientId(AuthType type) {
        return type == AuthType.MANAGED_IDENTITY || type == AuthType.WORKLOAD_IDENTITY;
    }

    private static SubvolumeConfig.BlobAccount blobAccount(YamlFields spec, AuthType authType) {
        YamlFields b = spec.mapping("blobAccount", true, "accountEndpoint and containerName (or, for a non-Azure "
                + "source, spec.vfsSource with a uri instead)");
        String endpoint = b.string("accountEndpoint", true,
                "the blob endpoint, e.g. \"https://<account>.blob.core.windows.net/\"");
        String container = b.string("containerName", true, "a container name");
        IndexTagsMode mode = b.enumValue("indexTagsMode", IndexTagsMode.class, false, IndexTagsMode.NoIndexTags);
        b.rejectUnknown(ACCOUNT, Map.of());
        URI uri = null;
        if (endpoint != null) {
            try {
                uri = new URI(endpoint.strip());
                if (uri.getScheme() == null || !uri.getScheme().matches("https?") || uri.getHost() == null
                        || uri.getQuery() != null || uri.getFragment() != null || uri.getUserInfo() != null) {
                    b.problem("accountEndpoint", "expected an http(s) URL without query, fragment or credentials such as "
                            + "\"https://<account>.blob.core.windows.net/\", got \"" + endpoint + "\"");
                    uri = null;
                } else if (clientId(authType) && !uri.getScheme().equals("https")) {
                    b.problem("accountEndpoint", "authType " + authType + " authenticates with bearer tokens, which "
                            + "Azure Storage accepts only over https; expected an https URL, got \"" + endpoint + "\"");
                    uri = null;
                }
            } catch (URISyntaxException e) {
                b.problem("accountEndpoint", "not a URL (" + e.getReason() + "): \"" + endpoint + "\"");
            }
        }
        if (container != null && !CONTAINER.matcher(container.strip()).matches()) {
            b.problem("containerName", "expected 3-63 lowercase letters, digits and single hyphens, starting and "
                    + "ending with a letter or digit (Azure's container naming rules), got \"" + container + "\"");
            container = null;
        }
        if (uri == null || container == null) {
            return null;
        }
        return new SubvolumeConfig.BlobAccount(uri, container.strip(), mode);
    }

    /** {@code spec.vfsSource}: a commons-vfs URI and, for sftp, an optional known_hosts file. */
    private static SubvolumeConfig.VfsSource vfsSource(YamlFields spec, Path file, AuthType authType) {
        YamlFields v = spec.mapping("vfsSource", true, "uri");
        String uri = v.string("uri", true, "a source URI such as \"file:///srv/data\", \"sftp://user@host/path\" or "
                + "\"zip:file:///srv/data.zip!/\"");
        String knownHosts = v.string("knownHostsFile", false, "the path of an ssh known_hosts file");
        v.rejectUnknown(VFS, Map.of());
        if (uri == null) {
            return null;
        }
        String u = uri.strip();
        String problem = VfsSettings.problem(u);
        if (problem != null) {
            v.problem("uri", problem);
            return null;
        }
        String transport = VfsSettings.of(u).transport();
        boolean network = !transport.equals("file");
        if (authType == AuthType.PASSWORD) {
            if (!network) {
                v.problem("uri", "authType PASSWORD needs an sftp or http(s) source; a " + transport
                        + " source takes no password (use authType ANONYMOUS)");
                return null;
            }
            if (!u.matches("^[^/]*//[^/@]+@.*")) {
                v.problem("uri", "authType PASSWORD needs the user name in the URI, e.g. \"" + transport
                        + "://user@host/path\"; got \"" + uri + "\"");
                return null;
            }
        }
        Path hosts = null;
        if (knownHosts != null && !knownHosts.isBlank()) {
            if (!transport.equals("sftp")) {
                v.problem("knownHostsFile", "only an sftp source checks host keys; remove this field for a "
                        + transport + " source");
                return null;
            }
            hosts = file.getParent().resolve(knownHosts.strip()).normalize();
            if (!Files.isRegularFile(hosts) || !Files.isReadable(hosts)) {
                v.problem("knownHostsFile", "no readable file " + hosts);
                return null;
            }
        }
        return new SubvolumeConfig.VfsSource(u, hosts);
    }

    private static SubvolumeConfig.Schedule schedule(YamlFields spec) {
        YamlFields s = spec.mapping("schedule", true, "frequency");
        String freq = s.string("frequency", true, Frequency.RULE.substring("expected ".length()));
        String oneshot = s.string("oneshot", false, "a UUID, or empty");
        s.rejectUnknown(SCHEDULE, Map.of());
        Frequency frequency = null;
        if (freq != null) {
            try {
                frequency = Frequency.parse(freq);
            } catch (IllegalArgumentException e) {
                s.problem("frequency", e.getMessage());
            }
        }
        String shot = oneshot == null ? "" : oneshot.strip();
        if (!shot.isEmpty() && !isUuid(shot)) {
            s.problem("oneshot", "expected a UUID such as 3f2b8c1e-9d4a-4c6b-8e2f-1a2b3c4d5e6f (uuidgen makes one), "
                    + "or nothing, got \"" + oneshot + "\"");
        }
        return frequency == null ? null : new SubvolumeConfig.Schedule(frequency, shot);
    }

    private SubvolumeConfig.CacheSettings cache(YamlFields c, String name) {
        String dir = c.string("directory", false, "an absolute directory path");
        String maxSize = c.string("maxSize", false, "a size such as 50Gi");
        Prefetch prefetch = c.enumValue("prefetch", Prefetch.class, false, Prefetch.all);
        c.rejectUnknown(CACHE, Map.of());
        Path directory = null;
        if (dir != null) {
            if (!dir.strip().startsWith("/")) {
                c.problem("directory", "expected an absolute path, got \"" + dir + "\"");
            } else {
                directory = Path.of(dir.strip()).normalize();
            }
        } else if (name != null) {
            directory = cacheRoot.resolve(name);
        }
        long bytes = DEFAULT_MAX_SIZE;
        if (maxSize != null) {
            try {
                bytes = ByteSize.parse(maxSize);
                if (bytes < (16L << 20)) {
                    c.problem("maxSize", "expected at least 16Mi, got \"" + maxSize + "\"");
                }
            } catch (IllegalArgumentException e) {
                c.problem("maxSize", e.getMessage());
            }
        }
        return directory == null ? null : new SubvolumeConfig.CacheSettings(directory, bytes, prefetch);
    }

    private static void checkAcrossSubvolumes(List<Parsed> subvolumes, List<ConfigProblem> problems) {
        for (int i = 0; i < subvolumes.size(); i++) {
            Parsed pa = subvolumes.get(i);
            SubvolumeConfig a = pa.config();
            for (int j = 0; j < i; j++) {
                SubvolumeConfig b = subvolumes.get(j).config();
                if (a.name().equals(b.name())) {
                    problems.add(new ConfigProblem(a.file(), pa.nameLine(), "metadata.name", "\"" + a.name()
                            + "\" is also the name of a subvolume in " + b.file() + "; names must be unique"));
                }
                if (a.path().equals(b.path())) {
                    problems.add(new ConfigProblem(a.file(), pa.pathLine(), "spec.path", "\"" + a.path()
                            + "\" is also the path of subvolume " + b.name() + " in " + b.file() + "; paths must be unique"));
                } else if (a.path().startsWith(b.path() + "/") || b.path().startsWith(a.path() + "/")) {
                    problems.add(new ConfigProblem(a.file(), pa.pathLine(), "spec.path", "\"" + a.path()
                            + "\" overlaps the path \"" + b.path() + "\" of subvolume " + b.name()
                            + "; one subvolume cannot live inside another"));
                }
                if (a.cache().directory().equals(b.cache().directory())) {
                    problems.add(new ConfigProblem(a.file(), pa.cacheLine(), "spec.cache.directory", "\"" + a.cache().directory()
                            + "\" is also the cache directory of subvolume " + b.name() + "; each needs its own"));
                }
            }
        }
    }

    private static boolean isUuid(String s) {
        if (!s.matches("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")) {
            return false;
        }
        try {
            UUID.fromString(s);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static Set<String> ordered(String... keys) {
        return java.util.Collections.unmodifiableSet(new LinkedHashSet<>(List.of(keys)));
    }
}
