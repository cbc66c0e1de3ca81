package elattn.cli;

import java.io.InputStream;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code elattn} command. Errors are one clear line and a non-zero exit (1 for a failed run, 2
 * for a bad command line); {@code --stacktrace} shows the Java stack trace as well.
 */
@Command(name = "elattn", mixinStandardHelpOptions = true, version = "elattn 0.1.0",
        description = "Transformer generation with EL-attention on any GPU, from plain Java kernels.",
        subcommands = {SummarizeCommand.class, GenerateCommand.class, EvalCommand.class, BenchCommand.class,
                DevicesCommand.class, CheckCommand.class})
public final class Main {
    @Option(names = "--stacktrace", scope = ScopeType.INHERIT,
            description = "On error, print the Java stack trace as well as the message.")
    boolean stacktrace;

    /** Standard input of this run (inputs when neither arguments nor --input are given). */
    final InputStream in;
    /** Whether stderr is a terminal: progress redraws one line instead of printing plain lines. */
    final boolean terminal;

    private Main(InputStream in, boolean terminal) {
        this.in = in;
        this.terminal = terminal;
    }

    public static void main(String[] args) {
        // The command's own output says what happened; library INFO lines (device choice, plans)
        // would bury it. -Dorg.slf4j.simpleLogger.defaultLogLevel=info brings them back.
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        System.exit(run(args));
    }

    /** Runs the command line on the standard streams and returns the exit code. */
    public static int run(String... args) {
        java.io.Console console = System.console();
        return run(System.in, new PrintWriter(System.out, true), new PrintWriter(System.err, true),
                console != null && console.isTerminal(), args);
    }

    /** Runs the command line with the given output and error streams (stdin: none) and returns the exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return run(InputStream.nullInputStream(), out, err, false, args);
    }

    /** Runs the command line with the given streams and returns the exit code. */
    public static int run(InputStream in, PrintWriter out, PrintWriter err, boolean terminal, String... args) {
        CommandLine cli = new CommandLine(new Main(in, terminal)).setOut(out).setErr(err);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            boolean trace = parseResult.originalArgs().contains("--stacktrace");
            if (trace) {
                e.printStackTrace(commandLine.getErr());
            } else {
                commandLine.getErr().println("elattn: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            }
            commandLine.getErr().flush();
            return 1;
        });
        cli.setParameterExceptionHandler((e, args1) -> {
            CommandLine c = e.getCommandLine();
            c.getErr().println("elattn: " + e.getMessage() + " (see `" + c.getCommandSpec().qualifiedName() + " --help`)");
            c.getErr().flush();
            return 2;
        });
        try {
            return cli.execute(args);
        } catch (OutOfMemoryError e) {
            // picocli passes Errors through; this one becomes a line that says which memory to raise.
            if (java.util.List.of(args).contains("--stacktrace")) {
                e.printStackTrace(err);
            }
            err.println("elattn: " + OutOfMemoryAdvice.of(e));
            err.flush();
            return 1;
        }
    }
}
