package elattn.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code elattn} command. Errors are one clear line and a non-zero exit; {@code --stacktrace}
 * shows the Java stack trace as well.
 */
@Command(name = "elattn", mixinStandardHelpOptions = true, version = "elattn 0.1.0",
        description = "Transformer generation with EL-attention on any GPU, from plain Java kernels.",
        subcommands = {DevicesCommand.class, CheckCommand.class})
public final class Main {
    @Option(names = "--stacktrace", scope = ScopeType.INHERIT,
            description = "On error, print the Java stack trace as well as the message.")
    boolean stacktrace;

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line on the standard streams and returns the exit code. */
    public static int run(String... args) {
        return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** Runs the command line with the given output and error streams and returns the exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new Main()).setOut(out).setErr(err);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            boolean trace = parseResult.originalArgs().contains("--stacktrace");
            if (trace) {
                e.printStackTrace(commandLine.getErr());
            } else {
                commandLine.getErr().println("elattn: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            }
            return 1;
        });
        return cli.execute(args);
    }
}
