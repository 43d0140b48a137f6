package io.cloudmirror.cli;

import io.cloudmirror.control.ControlProtocol;
import io.cloudmirror.control.ControlProtocol.SubvolumeState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cloudmirror status [SUBVOLUME|MOUNTPOINT] [-o json]}: the state of every subvolume the running
 * daemons serve (mounts started by {@code cloudmirror mount}, {@code mount -t} or fstab alike), asked over
 * their control sockets. Exit 0 with the table or JSON, 1 when no daemon runs or none serves the argument,
 * 2 for bad usage.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show the state of the mounted subvolumes (all, or those of SUBVOLUME or MOUNTPOINT).")
final class StatusCommand implements Callable<Integer> {

    @Parameters(index = "0", arity = "0..1", paramLabel = "SUBVOLUME|MOUNTPOINT",
            description = "a subvolume name (metadata.name), a mount point, or a path in a subvolume")
    String target;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "table (default) or json")
    String output = "table";

    @Override
    public Integer call() throws Exception {
        if (!output.equals("table") && !output.equals("json")) {
            System.err.println("cloudmirror: -o " + output + ": expected table or json");
            return 2;
        }
        List<Daemons.Selection> selected = Daemons.selectOrSay(target, true, System.err);
        if (selected.isEmpty()) {
            return 1;
        }
        List<SubvolumeState> states = new ArrayList<>();
        for (Daemons.Selection s : selected) {
            for (SubvolumeState st : s.daemon().status().subvolumes()) {
                if (s.subvolumes().contains(st.name())) {
                    states.add(st);
                }
            }
        }
        if (output.equals("json")) {
            System.out.println(ControlProtocol.writePretty(Map.of("items", states)));
        } else {
            System.out.print(StatusTable.format(states, Instant.now()));
        }
        return 0;
    }
}
