package elattn.cli;

/** A problem with what the user gave (input, options, files): its message is the one line shown. */
final class CliException extends RuntimeException {
    CliException(String message) {
        super(message);
    }
}
