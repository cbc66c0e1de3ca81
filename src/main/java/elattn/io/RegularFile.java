package elattn.io;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The check a loader makes before it opens a file: a named pipe would block the open until some
 * other program writes to it (a hang), and a device such as {@code /dev/zero} never ends. A folder
 * where a file belongs is refused here too, with a message rather than an I/O error.
 */
public final class RegularFile {
    private RegularFile() {
    }

    /** Throws {@code problem} when {@code file} exists and is not a regular file (links are followed). */
    public static void require(Path file, FileProblem problem) {
        if (Files.exists(file) && !Files.isRegularFile(file)) {
            throw problem.at(file, Files.isDirectory(file) ? "is a folder where a file belongs; put the file itself there"
                    : "is not a regular file (a named pipe, device or socket); elattn reads model files only from"
                            + " regular files: copy it into one");
        }
    }
}
