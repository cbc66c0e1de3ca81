package elattn.io;

import java.nio.file.Path;

/**
 * Makes the exception a loader reports a bad file with: each package has its own type (a
 * checkpoint's, a tokenizer's), and the shared readers here throw whichever their caller passes,
 * e.g. {@code CheckpointException::new}.
 */
@FunctionalInterface
public interface FileProblem {
    /** The exception for {@code problem} (a clause, one line) with {@code file}. */
    RuntimeException at(Path file, String problem);
}
