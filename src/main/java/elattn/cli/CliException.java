package elattn.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** A problem with what the user gave (input, options, files): its message is the one line shown. */
final class CliException extends RuntimeException {
    CliException(String message) {
        super(message);
    }

    /** "{@code file}: cannot {@code doing}: " and the system's reason (permission denied, disk full), not a class name. */
    static CliException cannot(String doing, Path file, IOException e) {
        String reason;
        if (e instanceof AccessDeniedException) {
            reason = "permission denied";
        } else if (e instanceof NoSuchFileException) {
            reason = "no such file or folder";
        } else if (e instanceof FileSystemException f && f.getReason() != null) {
            reason = f.getReason();
        } else {
            reason = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        }
        return new CliException(file + ": cannot " + doing + ": " + reason);
    }
}
