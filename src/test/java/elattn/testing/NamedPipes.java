package elattn.testing;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** Named pipes (FIFOs) for the tests of loaders that must refuse them rather than block on them. */
public final class NamedPipes {
    private NamedPipes() {
    }

    /** Makes a named pipe at {@code path} with {@code mkfifo}; skips the test where there is none. */
    public static Path create(Path path) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder("mkfifo", path.toString()).inheritIO().start();
        } catch (IOException e) {
            Assumptions.abort("no mkfifo on this machine: " + e.getMessage());
            throw e;
        }
        Assumptions.assumeTrue(p.waitFor() == 0, "mkfifo " + path + " failed");
        return path;
    }
}
