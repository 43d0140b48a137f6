package io.cloudmirror.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Reads the fields of one YAML mapping, remembering which were used so that the rest can be reported
 * as unknown, and recording every problem with its file, line and dotted field path. Not thread-safe.
 */
final class YamlFields {

    private final Path file;
    private final String prefix;
    private final Node node;
    private final Map<String, NodeTuple> fields = new LinkedHashMap<>();
    private final Set<String> used = new java.util.HashSet<>();
    private final List<ConfigProblem> problems;
    /** False for a section that is absent or not a mapping (already reported): its fields are not reported missing. */
    private final boolean present;

    private YamlFields(Path file, String prefix, Node node, List<ConfigProblem> problems) {
        this.file = file;
        this.prefix = prefix;
        this.node = node;
        this.problems = problems;
        this.present = node instanceof MappingNode;
        if (node instanceof MappingNode m) {
            for (NodeTuple t : m.getValue()) {
                String key = t.getKeyNode() instanceof ScalarNode s ? s.getValue() : null;
                if (key == null) {
                    problem(t.getKeyNode(), prefix, "keys must be plain names");
                } else if (fields.containsKey(key)) {
                    problem(t.getKeyNode(), field(key), "appears twice");
                } else {
                    fields.put(key, t);
                }
            }
        }
    }

    /** The fields of a document's root mapping; reports a problem if the document is not a mapping. */
    static YamlFields root(Path file, Node node, List<ConfigProblem> problems) {
        if (!(node instanceof MappingNode)) {
            problems.add(new ConfigProblem(file, line(node), "",
                    "expected a MirrorSubvolume document (a mapping with apiVersion, kind, metadata and spec)"));
        }
        return new YamlFields(file, "", node, problems);
    }

    String field(String key) {
        return prefix.isEmpty() ? key : prefix + "." + key;
    }

    int line() {
        return line(node);
    }

    int line(String key) {
        NodeTuple t = fields.get(key);
        return t == null ? line(node) : line(t.getValueNode());
    }

    boolean has(String key) {
        NodeTuple t = fields.get(key);
        return t != null && !isNull(t.getValueNode());
    }

    /**
     * A nested mapping; reports a problem if present but not a mapping, or (when {@code required})
     * missing or empty. Returns an empty reader in those cases, so parsing can go on collecting problems.
     */
    YamlFields mapping(String key, boolean required, String expected) {
        used.add(key);
        NodeTuple t = fields.get(key);
        if (t == null || isNull(t.getValueNode())) {
            if (required && present) {
                problem(t == null ? node : t.getValueNode(), field(key),
                        (t == null ? "missing" : "is empty") + "; expected a mapping with " + expected);
            }
            return new YamlFields(file, field(key), null, problems);
        }
        if (!(t.getValueNode() instanceof MappingNode)) {
            problem(t.getValueNode(), field(key), "expected a mapping with " + expected + ", got " + describe(t.getValueNode()));
            return new YamlFields(file, field(key), null, problems);
        }
        return new YamlFields(file, field(key), t.getValueNode(), problems);
    }

    /** A scalar as text; {@code null} when absent or empty (reported when {@code required}). */
    String string(String key, boolean required, String expected) {
        used.add(key);
        NodeTuple t = fields.get(key);
        if (t == null || isNull(t.getValueNode())) {
            if (required && present) {
                problem(t == null ? node : t.getValueNode(), field(key),
                        (t == null ? "missing" : "is empty") + "; expected " + expected);
            }
            return null;
        }
        if (!(t.getValueNode() instanceof ScalarNode s)) {
            problem(t.getValueNode(), field(key), "expected " + expected + ", got " + describe(t.getValueNode()));
            return null;
        }
        String bad = hostile(s);
        if (bad != null) {
            problem(s, field(key), bad + "; expected " + expected);
            return null;
        }
        return s.getValue();
    }

    /** Longest scalar accepted, in characters: a path (PATH_MAX) fits, a pasted file does not. */
    static final int MAX_VALUE = 4096;

    /** Tags a plain YAML value may carry (its implicit type); any explicit other tag is refused. */
    private static final Set<Tag> PLAIN_TAGS = Set.of(Tag.STR, Tag.INT, Tag.BOOL, Tag.FLOAT, Tag.NULL, Tag.TIMESTAMP);

    /**
     * Why a scalar is refused before its meaning is looked at (an explicit YAML tag, a value too long to be
     * meant, a control character), or {@code null}. The value itself is not echoed.
     */
    private static String hostile(ScalarNode s) {
        if (!PLAIN_TAGS.contains(s.getTag())) {
            return "the YAML tag " + s.getTag().getValue().replace(Tag.PREFIX, "!!") + " is not supported (write a plain value)";
        }
        String v = s.getValue();
        if (v.length() > MAX_VALUE) {
            return "a value of " + v.length() + " characters is too long (at most " + MAX_VALUE + ")";
        }
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                return String.format("the value holds the control character U+%04X at character %d", (int) c, i + 1);
            }
        }
        return null;
    }

    /** An enum constant spelled exactly as one of {@code values}; {@code null} when absent or wrong. */
    <E extends Enum<E>> E enumValue(String key, Class<E> type, boolean required, E fallback) {
        E[] constants = type.getEnumConstants();
        List<String> names = new ArrayList<>();
        for (E c : constants) {
            names.add(c.name());
        }
        String expected = "one of " + String.join(", ", names);
        String v = string(key, required, expected);
        if (v == null) {
            return fallback;
        }
        for (E c : constants) {
            if (c.name().equals(v.strip())) {
                return c;
            }
        }
        String hint = "";
        for (E c : constants) {
            if (c.name().equalsIgnoreCase(v.strip())) {
                hint = " (names are case-sensitive: did you mean " + c.name() + "?)";
            }
        }
        problem(key, "expected " + expected + ", got \"" + v + "\"" + hint);
        return fallback;
    }

    /** Records a problem at field {@code key}. */
    void problem(String key, String message) {
        NodeTuple t = fields.get(key);
        problem(t == null ? node : t.getValueNode(), field(key), message);
    }

    /**
     * Reports every field that was never asked for. {@code elsewhere} maps field names that belong to
     * another section to that section, for a hint about indentation.
     */
    void rejectUnknown(Set<String> known, Map<String, String> elsewhere) {
        for (Map.Entry<String, NodeTuple> e : fields.entrySet()) {
            String key = e.getKey();
            if (used.contains(key)) {
                continue;
            }
            String hint;
            if (elsewhere.containsKey(key)) {
                hint = "; it belongs under " + elsewhere.get(key) + " (check its indentation)";
            } else {
                String close = closest(key, known);
                hint = close != null ? "; did you mean " + close + "?"
                        : known.isEmpty() ? "" : "; expected one of " + String.join(", ", known);
            }
            problems.add(new ConfigProblem(file, line(e.getValue().getKeyNode()), field(key), "unknown field" + hint));
        }
    }

    private void problem(Node at, String field, String message) {
        problems.add(new ConfigProblem(file, line(at), field, message));
    }

    private static String closest(String key, Set<String> known) {
        String best = null;
        int bestDistance = 3;
        for (String k : known) {
            int d = distance(key.toLowerCase(), k.toLowerCase());
            if (d < bestDistance) {
                bestDistance = d;
                best = k;
            }
        }
        return best;
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    private static boolean isNull(Node n) {
        return n instanceof ScalarNode s && (Tag.NULL.equals(s.getTag()) || s.getValue().isEmpty() && s.getScalarStyle()
                == org.yaml.snakeyaml.DumperOptions.ScalarStyle.PLAIN);
    }

    private static String describe(Node n) {
        return switch (n.getNodeId()) {
            case mapping -> "a mapping";
            case sequence -> "a list";
            case scalar -> "\"" + ((ScalarNode) n).getValue() + "\"";
            default -> "an alias";
        };
    }

    static int line(Node n) {
        return n == null || n.getStartMark() == null ? 0 : n.getStartMark().getLine() + 1;
    }
}
