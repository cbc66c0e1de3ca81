package elattn.model;

import java.nio.file.Path;

/** A checkpoint that cannot be used: the message names the file (and tensor) and what to do. */
public class CheckpointException extends RuntimeException {
    public CheckpointException(Path file, String problem) {
        super(file + ": " + problem);
    }

    public CheckpointException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }
}
