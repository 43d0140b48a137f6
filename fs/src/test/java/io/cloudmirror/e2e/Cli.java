package io.cloudmirror.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cloudmirror.control.ControlProtocol;
import io.cloudmirror.control.ControlProtocol.SubvolumeState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * {@code cloudmirror status} as an operator runs it, against daemons started with one runtime directory
 * ({@code CLOUDMIRROR_RUNTIME_DIR}), for end-to-end tests that wait on a daemon's state. Immutable.
 */
final class Cli {

    final Path runtime;

    Cli(Path dir) throws Exception {
        this.runtime = Files.createDirectories(dir.resolve("run"));
    }

    /** The environment a daemon and the CLI need to find each other. */
    Map<String, String> env() {
        return Map.of("CLOUDMIRROR_RUNTIME_DIR", runtime.toString());
    }

    /** {@code cloudmirror ARGS}. */
    Sh.Result run(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(MirrorMount.LAUNCHER.toString());
        cmd.addAll(List.of(args));
        return Sh.run(cmd, env(), runtime, Duration.ofMinutes(2));
    }

    /** The one subvolume {@code cloudmirror status -o json} shows. */
    SubvolumeState status() throws Exception {
        Sh.Result r = run("status", "-o", "json");
        assertEquals(0, r.exit(), r.toString());
        JsonNode items = new ObjectMapper().readTree(r.out()).get("items");
        assertEquals(1, items.size(), r.out());
        return ControlProtocol.read(items.get(0).toString(), SubvolumeState.class);
    }

    /** Polls status until {@code until} holds. */
    SubvolumeState await(Predicate<SubvolumeState> until, Duration timeout, MirrorMount m) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        SubvolumeState last = null;
        while (System.nanoTime() < deadline) {
            try {
                last = status();
                if (until.test(last)) {
                    return last;
                }
            } catch (AssertionError e) {
                // the daemon is not answering yet
            }
            Thread.sleep(250);
        }
        fail("status never got there within " + timeout + "; last: " + last + "\nlog:\n" + m.logText());
        return null;
    }
}
