package elattn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
            b.append(record("r" + i, i));
        }
        Files.writeString(input, b);
        Path out = tmp.resolve("full.jsonl");
        CliRun r = CliRun.run(job(out));
        assertEquals(0, r.code(), r.toString());
        expected = Files.readString(out);
        assertEquals(RECORDS, expected.lines().count());
    }

    /** Input record {@code i} (its own token ids) with id {@code id}, as a JSONL line. */
    private static String record(String id, int i) {
        return "{\"id\": \"" + id + "\", \"input_ids\": [0, " + (10 + i) + ", " + (200 + 7 * i) + ", " + (300 + i)
                + ", 2]}\n";
    }

    private static String[] job(Path out, String... extra) {
        return job(input, out, extra);
    }

    private static String[] job(Path in, Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("summarize", "--model", BART, "--device", "jvm", "--input",
                in.toString(), "--output", out.toString(), "--batch-size", "1"));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    /** The first {@code n} lines of {@code jsonl}, each with its newline. */
    private static String firstLines(String jsonl, int n) {
        return String.join("", jsonl.lines().limit(n).map(l -> l + "\n").toList());
    }

    @Test
    void resumingTheOutputOfAnotherInputIsRefused() throws IOException {
        Path out = tmp.resolve("another.jsonl");
        String written = firstLines(expected, 2);
        Files.writeString(out, written);
        String another = "; it is the output of another input: choose another --output, or pass --overwrite to start over";

        Path otherIds = tmp.resolve("other-ids.jsonl");
        Files.writeString(otherIds, record("s0", 0) + record("s1", 1) + record("s2", 2));
        CliRun r = CliRun.run(job(otherIds, out, "--resume"));
        assertEquals(1, r.code(), r.toString());
        assertEquals("elattn: " + out + " line 1 has id \"r0\" where the input's record 1 (" + otherIds
                + " line 1) has id \"s0\"" + another, r.err().strip());

        Path reordered = tmp.resolve("reordered.jsonl");
        Files.writeString(reordered, record("r0", 0) + record("r2", 2) + record("r1", 1));
        r = CliRun.run(job(reordered, out, "--resume"));
        assertEquals(1, r.code(), r.toString());
        assertEquals("elattn: " + out + " line 2 has id \"r1\" where the input's record 2 (" + reordered
                + " line 2) has id \"r2\"" + another, r.err().strip());

        Path shorter = tmp.resolve("shorter.jsonl");
        Files.writeString(shorter, record("r0", 0));
        r = CliRun.run(job(shorter, out, "--resume"));
        assertEquals(1, r.code(), r.toString());
        assertEquals("elattn: " + out + " holds 2 records but the input has only 1" + another, r.err().strip());

        assertEquals(written, Files.readString(out), "a refused resume leaves the output as it was");
    }

    @Test
    void duplicateIdsAreRefusedNamingBothLines() throws IOException {
        Path duplicates = tmp.resolve("duplicates.jsonl");
        Files.writeString(duplicates, record("r0", 0) + record("r1", 1) + record("r0", 2));
        CliRun r = CliRun.run(job(duplicates, tmp.resolve("duplicates.out.jsonl")));
        assertEquals(1, r.code(), r.toString());
        assertEquals("elattn: " + duplicates + " line 3: id \"r0\" is also the id of " + duplicates
                + " line 1; make the ids unique, or pass --allow-duplicate-ids to generate both", r.err().strip());
    }

    /** With --allow-duplicate-ids every record is generated, and resume goes by position, so a repeated id is not taken for done. */
    @Test
    void allowedDuplicateIdsAreAllGeneratedAndResumed() throws IOException {
        Path duplicates = tmp.resolve("allowed.jsonl");
        Files.writeString(duplicates, record("r0", 0) + record("r1", 1) + record("r0", 2) + record("r1", 3));
        Path full = tmp.resolve("allowed-full.jsonl");
        CliRun r = CliRun.run(job(duplicates, full, "--allow-duplicate-ids"));
        assertEquals(0, r.code(), r.toString());
        String all = Files.readString(full);
        assertEquals(List.of("\"r0\"", "\"r1\"", "\"r0\"", "\"r1\""),
                GenerationCommandsTest.records(all).stream().map(o -> o.get("id").toString()).toList());
        assertEquals(firstLines(expected, 2), firstLines(all, 2), "the first two records are the main input's");

        Path resumed = tmp.resolve("allowed-resumed.jsonl");
        Files.writeString(resumed, firstLines(all, 2));
        r = CliRun.run(job(duplicates, resumed, "--allow-duplicate-ids", "--resume"));
        assertEquals(0, r.code(), r.toString());
        assertEquals(all, Files.readString(resumed));
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
        Process child = ChildJvm.elattn(job(out)).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("child.log").toFile()).start();
        try {
            ChildJvm.awaitLines(child, out, 3);
        } finally {
            child.destroyForcibly().waitFor();
        }
        long before = ChildJvm.completeLines(out);
        assertTrue(before >= 1, "the child wrote records before it was killed: " + Files.readString(tmp.resolve("child.log")));
        CliRun r = CliRun.run(job(out, "--resume"));
        assertEquals(0, r.code(), r.toString());
        assertEquals(expected, Files.readString(out), "killed after " + before + " records");
        List<JsonObject> recs = GenerationCommandsTest.records(Files.readString(out));
        assertEquals(RECORDS, GenerationCommandsTest.ids(recs).size(), "no record duplicated or lost");
    }
}
