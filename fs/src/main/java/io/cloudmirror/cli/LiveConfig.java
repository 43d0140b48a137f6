package io.cloudmirror.cli;

import io.cloudmirror.config.ConfigEdit;
import io.cloudmirror.config.ConfigException;
import io.cloudmirror.config.ConfigProblem;
import io.cloudmirror.config.MirrorConfig;
import io.cloudmirror.config.SubvolumeConfig;
import io.cloudmirror.sync.ConfigWatcher;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies edits of a mounted configuration (reported by {@link ConfigWatcher}) to the running subvolumes:
 * a new oneshot UUID syncs at once (and is recorded as honoured once the sync succeeded), a new frequency is
 * followed from now on, a new blob name prefix applies from the next sync, a new cache size if the block
 * cache can be resized. Everything else is logged and shown by status as needing a remount; an edit that
 * does not validate is logged and shown with the loader's message, and the running configuration stays.
 *
 * <p>Thread-safe: edits arrive one at a time on the timer thread; {@link #issue} is read by control threads.
 */
final class LiveConfig implements ConfigWatcher.Listener {

    private static final Logger LOG = LoggerFactory.getLogger(LiveConfig.class);

    private final Path source;
    private final List<SubvolumeRuntime> runtimes;
    private final Map<String, String> issues = new ConcurrentHashMap<>();

    LiveConfig(Path source, List<SubvolumeRuntime> runtimes) {
        this.source = source;
        this.runtimes = List.copyOf(runtimes);
    }

    /** What of the last edit could not be applied to subvolume {@code name}; empty if nothing. */
    String issue(String name) {
        return issues.getOrDefault(name, "");
    }

    @Override
    public void changed(MirrorConfig edited) {
        MirrorConfig running = new MirrorConfig(source, runtimes.stream().map(SubvolumeRuntime::config).toList());
        ConfigEdit edit = ConfigEdit.between(running, edited);
        String added = edit.added().isEmpty() ? ""
                : "subvolume" + (edit.added().size() > 1 ? "s " : " ") + String.join(", ", edit.added()) + " added";
        if (!added.isEmpty()) {
            LOG.warn("{}: {}; mount again to serve {}", source, added, edit.added().size() > 1 ? "them" : "it");
        }
        for (SubvolumeRuntime r : runtimes) {
            String name = r.config().name();
            List<String> remount = new ArrayList<>();
            ConfigEdit.Change c = edit.subvolumes().get(name);
            if (c == null) {
                remount.add("removed from the configuration");
                LOG.warn("{}: removed from {}; it is served until the next mount", name, source);
            } else {
                remount.addAll(apply(r, c));
            }
            if (!added.isEmpty()) {
                remount.add(added);
            }
            String issue = remount.isEmpty() ? "" : "needs remount: " + String.join(", ", remount);
            issues.put(name, issue);
        }
    }

    /** Applies what of {@code c} can be applied live; returns what needs a remount. */
    private List<String> apply(SubvolumeRuntime r, ConfigEdit.Change c) {
        String name = r.config().name();
        List<String> remount = new ArrayList<>(c.needsRemount().stream().map(f -> f + " changed").toList());
        SubvolumeConfig live = c.live();
        if (c.maxSize().isPresent() && !r.cache().resize(c.maxSize().get())) {
            remount.add("spec.cache.maxSize changed");
            SubvolumeConfig.CacheSettings kept = new SubvolumeConfig.CacheSettings(live.cache().directory(),
                    r.config().cache().maxSize(), live.cache().prefetch());
            live = new SubvolumeConfig(live.file(), live.name(), live.edgeVolume(), live.path(), live.authentication(),
                    live.blobAccount(), live.vfsSource(), live.blobNamePrefix(), live.schedule(), kept);
        } else if (c.maxSize().isPresent()) {
            LOG.info("{}: cache maxSize now {} bytes", name, c.maxSize().get());
        }
        r.applied(live);
        c.frequency().ifPresent(f -> {
            r.scheduler().setFrequency(f);
            LOG.info("{}: frequency {} from now on; next sync {}", name, f,
                    r.scheduler().nextSync().map(Object::toString).orElse("never"));
        });
        c.prefix().ifPresent(p -> r.syncer().setPrefix(p));
        if (!remount.isEmpty()) {
            LOG.warn("{}: {} in {}: needs a remount to take effect; the running configuration stays for it", name,
                    String.join(", ", remount), source);
        }
        if (c.oneshot().isPresent() && r.oneshotPending()) {
            r.triggerOneshot(c.oneshot().get());
        }
        return remount;
    }

    @Override
    public void invalid(ConfigException problems) {
        String message = "configuration edit ignored: " + problems.problems().stream().map(ConfigProblem::toString)
                .collect(Collectors.joining("; "));
        for (SubvolumeRuntime r : runtimes) {
            issues.put(r.config().name(), message);
        }
    }
}
