package elattn.cli;

import com.google.gson.Gson;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/** The {@code elattn} command in a JVM of its own, for what one process cannot show: kills, locks, pipes. */
final class ChildJvm {
    private ChildJvm() {
    }

    /** A process builder for {@code elattn args...} on this JVM's java and the command's class path. */
    static ProcessBuilder elattn(String... args) {
        return elattn(List.of(), args);
    }

    /** As {@link #elattn(String...)}, with {@code jvmOptions} (such as a memory limit) for the child JVM. */
    static ProcessBuilder elattn(List<String> jvmOptions, String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", classPath(), Main.class.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command);
    }

    /**
     * Waits until {@code file} has {@code lines} complete lines or {@code child} has ended, at most
     * a minute (a hang guard: the callers assert afterwards what they waited for).
     */
    static void awaitLines(Process child, Path file, long lines) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (completeLines(file) < lines && child.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
    }

    /** The newline-terminated lines of {@code file} (0 while it does not exist). */
    static long completeLines(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file).chars().filter(c -> c == '\n').count() : 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The class path of the command and its libraries, wherever they were loaded from: under Maven
     * {@code java.class.path} has them, under the JUnit console launcher ({@code --class-path}, as on
     * the GPU machine) only the launcher's jar is there.
     */
    private static String classPath() {
        List<String> entries = new ArrayList<>();
        try {
            for (Class<?> c : List.of(Main.class, CommandLine.class, Gson.class, LoggerFactory.class)) {
                entries.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
            }
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        entries.add(System.getProperty("java.class.path"));
        return String.join(File.pathSeparator, entries);
    }
}
