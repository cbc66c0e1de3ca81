package elattn.cli;

/** Stdout takes no more output (its reader went away, or a write failed): the command stops at once. */
final class StdoutFailure extends RuntimeException {
    StdoutFailure() {
        super("cannot write to stdout");
    }
}
