package io.cloudmirror.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code cloudmirror} command line. Exit codes: 0 success, 1 runtime failure, 2 bad usage or
 * configuration. Also the mount helper: mount(8) with {@code -t fuse.cloudmirror} runs mount.fuse, which runs
 * {@code cloudmirror SOURCE MOUNTPOINT -o OPTIONS}, the {@code mount} subcommand without its name.
 */
@Command(name = "cloudmirror", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "A read-only FUSE mirror of an Azure Blob container.",
        subcommands = {MountCommand.class, StatusCommand.class, SyncCommand.class, CloneCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code. */
    static int run(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("cloudmirror: " + io.cloudmirror.origin.Redactor.redact(
                    e.getMessage() == null ? e.toString() : e.getMessage()));
            return 1;
        });
        cl.setParameterExceptionHandler((e, a) -> {
            CommandLine cmd = e.getCommandLine();
            cmd.getErr().println("cloudmirror: " + e.getMessage());
            cmd.getErr().println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help'.");
            return 2;
        });
        return cl.execute(asMountHelper(cl, args));
    }

    /**
     * {@code cloudmirror SOURCE MOUNTPOINT ...} as mount.fuse runs it becomes {@code cloudmirror mount SOURCE
     * MOUNTPOINT ...}: when the first argument is neither an option nor a subcommand but names a path.
     */
    static String[] asMountHelper(CommandLine cl, String[] args) {
        if (args.length < 2 || args[0].startsWith("-") || cl.getSubcommands().containsKey(args[0])
                || !(args[0].contains("/") || Files.exists(Path.of(args[0])))) {
            return args;
        }
        String[] out = new String[args.length + 1];
        out[0] = "mount";
        System.arraycopy(args, 0, out, 1, args.length);
        return out;
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.err);
    }

    /** The version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"cloudmirror " + (v == null ? "(development)" : v)};
        }
    }
}
