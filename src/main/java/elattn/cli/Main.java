package elattn.cli;

import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code elattn} command. Errors are one clear line and a non-zero exit (1 for a failed run, 2
 * for a bad command line, 141 when the reader of stdout went away); {@code --stacktrace} shows the
 * Java stack trace as well.
 */
@Command(name = "elattn", mixinStandardHelpOptions = true, scope = ScopeType.INHERIT, version = "elattn 0.1.0",
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
    /** The arguments of this run: they name its job to another job that wants the same output. */
    final List<String> args;

    private Main(InputStream in, boolean terminal, List<String> args) {
        this.in = in;
        this.terminal = terminal;
        this.args = args;
    }

    public static void main(String[] args) {
        // The command's own output says what happened; library INFO lines (device choice, plans)
        // would bury it. -Dorg.slf4j.simpleLogger.defaultLogLevel=info brings them back.
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        System.exit(run(args));
    }

    /** Runs the command line on the standard streams (stdout in UTF-8) and returns the exit code. */
    public static int run(String... args) {
        java.io.Console console = System.console();
        StandardOutput stdout = new StandardOutput();
        return run(System.in, new PrintWriter(new OutputStreamWriter(stdout, StandardCharsets.UTF_8), true),
                new PrintWriter(System.err, true), console != null && console.isTerminal(), stdout, args);
    }

    /** Runs the command line with the given output and error streams (stdin: none) and returns the exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return run(InputStream.nullInputStream(), out, err, false, args);
    }

    /**
     * Runs the command line with the given streams and returns the exit code. Every subcommand has
     * {@code --help}; arguments are taken as they are ({@code @file} is text, not a file to expand).
     */
    public static int run(InputStream in, PrintWriter out, PrintWriter err, boolean terminal, String... args) {
        return run(in, out, err, terminal, null, args);
    }

    /** {@code stdout}: the stream under {@code out} when it is the process's stdout, else null. */
    private static int run(InputStream in, PrintWriter out, PrintWriter err, boolean terminal, StandardOutput stdout,
            String... args) {
        CommandLine cli = new CommandLine(new Main(in, terminal, List.of(args))).setOut(out).setErr(err)
                .setExpandAtFiles(false);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof UsageException) {
                return usageError(commandLine, e.getMessage());
            }
            if (e instanceof StdoutFailure) {
                return stdoutFailed(err, stdout);
            }
            boolean trace = parseResult.originalArgs().contains("--stacktrace");
            if (trace) {
                e.printStackTrace(commandLine.getErr());
            } else {
                commandLine.getErr().println("elattn: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            }
            commandLine.getErr().flush();
            return 1;
        });
        cli.setParameterExceptionHandler((e, args1) -> usageError(e.getCommandLine(), e.getMessage()));
        int code;
        try {
            code = cli.execute(args);
        } catch (OutOfMemoryError e) {
            // picocli passes Errors through; this one becomes a line that says which memory to raise.
            if (java.util.List.of(args).contains("--stacktrace")) {
                e.printStackTrace(err);
            }
            err.println("elattn: " + OutOfMemoryAdvice.of(e));
            err.flush();
            return 1;
        }
        boolean stdoutFailed = out.checkError(); // flushes what the command left in the buffer
        return code == 0 && stdoutFailed ? stdoutFailed(err, stdout) : code;
    }

    /**
     * Stdout took no more output: when its reader went away ({@code | head}), exit quietly with
     * 141, as a Unix tool killed by SIGPIPE does; otherwise one line and exit code 1.
     */
    private static int stdoutFailed(PrintWriter err, StandardOutput stdout) {
        if (stdout != null && stdout.readerGone()) {
            return 141;
        }
        String why = stdout != null && stdout.failure() != null ? ": " + stdout.failure() : "";
        err.println("elattn: cannot write to stdout" + why + "; the output is incomplete");
        err.flush();
        return 1;
    }

    /** A bad command line: one line that points at the command's help, exit code 2. */
    private static int usageError(CommandLine command, String message) {
        command.getErr().println("elattn: " + message + " (see `" + command.getCommandSpec().qualifiedName() + " --help`)");
        command.getErr().flush();
        return 2;
    }
}
