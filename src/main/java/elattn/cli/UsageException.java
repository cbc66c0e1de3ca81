package elattn.cli;

/**
 * A command line that cannot work wherever it runs: a flag value out of range, flags that exclude
 * each other. Exit code 2, as for picocli's own parse errors; a {@link CliException} about files,
 * inputs or devices is a failed run (exit code 1).
 */
final class UsageException extends RuntimeException {
    UsageException(String message) {
        super(message);
    }
}
