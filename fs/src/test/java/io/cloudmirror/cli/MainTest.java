package io.cloudmirror.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainTest {

    private final CommandLine cl = new CommandLine(new Main());

    @Test
    void mountFuseFormIsTheMountSubcommand() {
        String[] args = {"/etc/cloudmirror/media.yaml", "/data", "-o", "rw,allow_other,dev,suid"};
        assertArrayEquals(new String[] {"mount", "/etc/cloudmirror/media.yaml", "/data", "-o", "rw,allow_other,dev,suid"},
                Main.asMountHelper(cl, args));
    }

    @Test
    void subcommandsOptionsAndWordsAreLeftAlone() {
        for (String[] args : new String[][] {{"mount", "/a.yaml", "/data"}, {"--version"}, {"-h", "/x"},
                {"no-such-command", "/data"}, {"/a.yaml"}}) {
            assertArrayEquals(args, Main.asMountHelper(cl, args));
        }
    }
}
