package elattn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * A JSONL job resumed after an interruption loses and duplicates no record and ends with exactly
 * what an uninterrupted run writes: after a torn last line written by hand, and after a child JVM
 * running the job is killed mid-way.
 */
class ResumeTest {
    private static final int RECORDS = 24;
    private static final String BART = TinyCheckpoints.ORACLE.resolve("bart").toString();

    @TempDir
    static Path tmp;
    static Path input;
    static String expected;

    @BeforeAll
    static void uninterruptedRun() throws IOException {
        input = tmp.resolve("in.jsonl");
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < RECORDS; i++) {
            b.append("{\"id\": \"r").append(i).append("\", \"input_ids\": [0, ").append(10 + i).append(", ")
                    .append(200 + 7 * i).append(", ").append(300 + i).append(", 2]}\n");
        }
        Files.writeString(input, b);
        Path out = tmp.resolve("full.jsonl");
        CliRun r = CliRun.run(job(out));
        assertEquals(0, r.code(), r.toString());
        expected = Files.readString(out);
        assertEquals(RECORDS, expected.lines().count());
    }

    /**
     * The class path of the command and its libraries, wherever they were loaded from: under Maven
     * {@code java.class.path} has them, under the JUnit console launcher ({@code --class-path}, as on
     * the GPU machine) only the launcher's jar is there.
     */
    static String childClassPath() throws URISyntaxException {
        List<String> entries = new ArrayList<>();
        for (Class<?> c : List.of(Main.class, CommandLine.class, Gson.class, LoggerFactory.class)) {
            entries.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        }
        entries.add(System.getProperty("java.class.path"));
        return String.join(File.pathSeparator, entries);
    }

    private static String[] job(Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("summarize", "--model", BART, "--device", "jvm", "--input",
                input.toString(), "--output", out.toString(), "--batch-size", "1"));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    @Test
    void tornLastLineIsRewritten() throws IOException {
        Path out = tmp.resolve("torn.jsonl");
        List<String> lines = expected.lines().toList();
        String partial = lines.get(0) + "\n" + lines.get(1) + "\n" + lines.get(2).substring(0, lines.get(2).length() / 2);
        Files.writeString(out, partial);
        CliRun r = CliRun.run(job(out, "--resume"));
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.err().contains("2 records done; removed a torn last line"), r.err());
        assertTrue(r.err().contains("summarize " + (RECORDS - 2) + "/" + (RECORDS - 2) + " records"), r.err());
        assertEquals(expected, Files.readString(out));
    }

    @Test
    void resumingAFinishedJobDoesNothing() throws IOException {
        Path out = tmp.resolve("done.jsonl");
        Files.writeString(out, expected);
        CliRun r = CliRun.run(job(out, "--resume"));
        assertEquals(0, r.code(), r.toString());
        assertEquals(expected, Files.readString(out));
    }

    @Test
    void anExistingOutputNeedsResumeOrOverwrite() throws IOException {
        Path out = tmp.resolve("exists.jsonl");
        Files.writeString(out, expected.lines().findFirst().orElseThrow() + "\n");
        CliRun r = CliRun.run(job(out));
        assertEquals(1, r.code());
        assertEquals("elattn: " + out + " exists; pass --resume to skip the records it holds, or --overwrite to start"
                + " over", r.err().strip());
        CliRun again = CliRun.run(job(out, "--overwrite"));
        assertEquals(0, again.code(), again.toString());
        assertEquals(expected, Files.readString(out));
    }

    @Test
    void jobKilledMidwayResumesToTheSameOutput() throws Exception {
        Path out = tmp.resolve("killed.jsonl");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", childClassPath(), Main.class.getName()));
        command.addAll(List.of(job(out)));
        Process child = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("child.log").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (lines(out) < 3 && child.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
        } finally {
            child.destroyForcibly().waitFor();
        }
        long before = lines(out);
        assertTrue(before >= 1, "the child wrote records before it was killed: " + Files.readString(tmp.resolve("child.log")));
        CliRun r = CliRun.run(job(out, "--resume"));
        assertEquals(0, r.code(), r.toString());
        assertEquals(expected, Files.readString(out), "killed after " + before + " records");
        List<JsonObject> recs = GenerationCommandsTest.records(Files.readString(out));
        assertEquals(RECORDS, GenerationCommandsTest.ids(recs).size(), "no record duplicated or lost");
    }

    private static long lines(Path file) throws IOException {
        return Files.exists(file) ? new String(Files.readAllBytes(file), StandardCharsets.UTF_8).chars()
                .filter(c -> c == '\n').count() : 0;
    }
}
