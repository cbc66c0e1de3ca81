package elattn.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * No job loses another job's output or an earlier result: a second job on an output in use is
 * refused with a line naming the job that holds it (held by another process, or by this one), and
 * a job that fails, with {@code --overwrite} too, leaves the earlier output byte for byte.
 */
class OutputFileTest {
    private static final String BART = TinyCheckpoints.ORACLE.resolve("bart").toString();
    private static final String GPT2 = TinyCheckpoints.ORACLE.resolve("gpt2").toString();
    private static final String EARLIER = "{\"id\": \"earlier\", \"output_ids\": [[1, 2, 3]]}\nnot even JSON\n";

    @TempDir
    static Path tmp;
    static Path input;

    @BeforeAll
    static void inputs() throws IOException {
        input = tmp.resolve("in.jsonl");
        Files.writeString(input, ids(4));
    }

    /** {@code n} records r0, r1, ... of BART token ids, as JSONL. */
    private static String ids(int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.append("{\"id\": \"r").append(i).append("\", \"input_ids\": [0, ").append(10 + i % 400).append(", ")
                    .append(20 + i % 300).append(", 2]}\n");
        }
        return b.toString();
    }

    private static String[] job(Path in, Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("summarize", "--model", BART, "--device", "jvm", "--input",
                in.toString(), "--output", out.toString(), "--batch-size", "1", "--max-new-tokens", "4"));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    private static String refusal(Path out) {
        return "elattn: " + out + " is being written by another elattn job (";
    }

    @Test
    void aJobHoldsItsOutputAgainstJobsOfOtherProcesses() throws Exception {
        Path many = tmp.resolve("many.jsonl");
        Files.writeString(many, ids(5000));
        Path out = tmp.resolve("held.jsonl");
        Process child = ChildJvm.elattn(job(many, out)).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("child.log").toFile()).start();
        try {
            ChildJvm.awaitLines(child, out, 1);
            assertTrue(child.isAlive() && ChildJvm.completeLines(out) >= 1,
                    "the child writes records: " + Files.readString(tmp.resolve("child.log")));
            for (String[] extra : List.of(new String[0], new String[]{"--overwrite"}, new String[]{"--resume"})) {
                CliRun r = CliRun.run(job(many, out, extra));
                assertEquals(1, r.code(), r.toString());
                String line = r.err().strip();
                assertTrue(line.startsWith(refusal(out) + "pid " + child.pid() + ", started "), line);
                assertTrue(line.endsWith(": elattn " + String.join(" ", job(many, out))
                        + "); wait for it to end, or choose another --output"), line);
            }
            assertTrue(child.isAlive(), "the child held the output all along");
        } finally {
            child.destroyForcibly().waitFor();
        }
        byte[] bytes = Files.readAllBytes(out);
        for (byte b : bytes) {
            assertTrue(b != 0, "no NUL bytes");
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        List<JsonObject> records = GenerationCommandsTest.records(text.substring(0, text.lastIndexOf('\n') + 1));
        for (int i = 0; i < records.size(); i++) {
            assertEquals("r" + i, records.get(i).get("id").getAsString(), "only the child's records, in order");
        }
    }

    @Test
    void aJobHoldsItsOutputAgainstJobsOfItsOwnProcess() throws IOException {
        Path out = tmp.resolve("own.jsonl");
        try (OutputLock held = OutputLock.acquire(out, "pid 7, started then: a job of this JVM")) {
            CliRun r = CliRun.run(job(input, out));
            assertEquals(1, r.code(), r.toString());
            assertEquals(refusal(out) + "pid 7, started then: a job of this JVM); wait for it to end, or choose"
                    + " another --output", r.err().strip());
        }
        CliRun first = CliRun.run(job(input, out));
        assertEquals(0, first.code(), first.toString());
        assertEquals(4, GenerationCommandsTest.records(Files.readString(out)).size());
        CliRun again = CliRun.run(job(input, out, "--overwrite"));
        assertEquals(0, again.code(), "a finished job lets its output go: " + again);
        assertFalse(Files.exists(tmp.resolve("own.jsonl.lock")), "no lock file left behind");
    }

    /** A job whose check fails (an id outside the vocabulary) or that fails while generating (past the positions). */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"jsonl", "text"})
    void aFailingOverwriteLeavesTheEarlierOutputByteForByte(String format) throws IOException {
        Path out = tmp.resolve("earlier." + format);
        Files.writeString(out, EARLIER);
        byte[] earlier = Files.readAllBytes(out);

        Path badId = tmp.resolve("bad-id.jsonl");
        Files.writeString(badId, ids(2) + "{\"id\": \"r2\", \"input_ids\": [0, 999, 2]}\n");
        CliRun r = CliRun.run(job(badId, out, "--overwrite", "--format", format));
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("token id 999 is outside the model's vocabulary"), r.err());
        assertArrayEquals(earlier, Files.readAllBytes(out));

        Path prompts = tmp.resolve("prompts.jsonl");
        StringBuilder longPrompt = new StringBuilder("{\"id\": \"long\", \"input_ids\": [10");
        for (int t = 11; t < 70; t++) {
            longPrompt.append(", ").append(t);
        }
        Files.writeString(prompts, "{\"id\": \"short\", \"input_ids\": [5, 6, 7]}\n" + longPrompt + "]}\n");
        r = CliRun.run("generate", "--model", GPT2, "--device", "jvm", "--input", prompts.toString(), "--output",
                out.toString(), "--batch-size", "1", "--max-new-tokens", "10", "--min-new-tokens", "10", "--overwrite",
                "--format", format);
        assertEquals(1, r.code(), "60 + 10 tokens are past GPT-2's 64 positions: " + r);
        assertArrayEquals(earlier, Files.readAllBytes(out));

        try (var files = Files.list(tmp)) {
            assertEquals(List.of(), files.map(Path::toString).filter(f -> f.contains("earlier." + format + ".")).toList(),
                    "no partial or lock file left behind");
        }
    }

    @Test
    void anOverwriteThatEndsWellReplacesTheOutput() throws IOException {
        Path expected = tmp.resolve("fresh.jsonl");
        assertEquals(0, CliRun.run(job(input, expected)).code());
        Path out = tmp.resolve("replaced.jsonl");
        Files.writeString(out, EARLIER);
        CliRun r = CliRun.run(job(input, out, "--overwrite"));
        assertEquals(0, r.code(), r.toString());
        assertEquals(Files.readString(expected), Files.readString(out));
        assertFalse(Files.exists(tmp.resolve("replaced.jsonl.partial")));
    }
}
