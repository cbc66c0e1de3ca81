package elattn.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs the project's Python scripts (benchmarks/) with the machine's {@code python3}, for tests of
 * the scripts that need no GPU. Without a {@code python3} the test is skipped, except in CI
 * (environment {@code CI=true}), where it fails, as {@link TestDevices} does for a missing device.
 */
public final class Python {
    /** What a script did. */
    public record Result(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    private Python() {
    }

    /** Runs {@code python3 ARGS...} in {@code dir} and waits at most a minute for it. */
    public static Result run(Path dir, String... args) {
        List<String> command = new ArrayList<>(List.of("python3"));
        command.addAll(List.of(args));
        Process p;
        try {
            ProcessBuilder b = new ProcessBuilder(command).directory(dir.toFile());
            b.environment().remove("LD_PRELOAD"); // surefire's libjsig preload is for JVMs (pom.xml)
            p = b.start();
        } catch (IOException e) {
            String message = "python3 is needed to check the scripts in benchmarks/: " + e.getMessage();
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                Assertions.fail(message + " (CI=true: the check must run)");
            }
            Assumptions.abort(message);
            throw new AssertionError(e);
        }
        try {
            p.getOutputStream().close();
            var out = p.inputReader(StandardCharsets.UTF_8);
            var err = p.errorReader(StandardCharsets.UTF_8);
            var errText = new StringBuilder();
            Thread errors = Thread.ofVirtual().start(() -> err.lines().forEach(l -> errText.append(l).append('\n')));
            String outText = out.lines().reduce(new StringBuilder(), (b, l) -> b.append(l).append('\n'),
                    StringBuilder::append).toString();
            if (!p.waitFor(1, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                Assertions.fail("python3 " + String.join(" ", args) + " ran past a minute");
            }
            errors.join();
            return new Result(p.exitValue(), outText, errText.toString());
        } catch (IOException | InterruptedException e) {
            throw new AssertionError("python3 " + String.join(" ", args) + ": " + e, e);
        }
    }
}
