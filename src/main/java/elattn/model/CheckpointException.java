package elattn.model;

import elattn.io.OneLine;
import java.nio.file.Path;

/**
 * A checkpoint that cannot be used: the message names the file (and tensor) and what to do, on one
 * line (names and values quoted from the files have their line breaks escaped).
 */
public class CheckpointException extends RuntimeException {
    public CheckpointException(Path file, String problem) {
        super(OneLine.message(file + ": " + problem));
    }

    public CheckpointException(Path file, String problem, Throwable cause) {
        super(OneLine.message(file + ": " + problem), cause);
    }
}
