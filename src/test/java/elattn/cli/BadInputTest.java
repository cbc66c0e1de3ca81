package elattn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every bad input of issue 4 is one clear line on stderr and exit code 1, never a stack trace. */
class BadInputTest {
    @TempDir
    static Path tmp;
    static Path bart;

    @BeforeAll
    static void model() throws IOException {
        bart = TinyCheckpoints.bart(tmp.resolve("bart"));
    }

    /** Runs, expects exit 1 and one line starting "elattn: " that contains {@code what}; returns it. */
    private static String fails(CliRun r, String what) {
        assertEquals(1, r.code(), r.toString());
        assertEquals(1, r.err().lines().count(), "one line: " + r.err());
        assertTrue(r.err().startsWith("elattn: "), r.err());
        assertTrue(r.err().contains(what), r.err());
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), "no stack trace: " + r.err());
        return r.err().strip();
    }

    @Test
    void missingModelFolder() {
        Path missing = tmp.resolve("no-such-model");
        fails(CliRun.run("summarize", "--model", missing.toString(), "--device", "jvm", "text"),
                missing + ": no such folder");
    }

    @Test
    void corruptSafetensors() throws IOException {
        Path broken = TinyCheckpoints.bart(tmp.resolve("broken"));
        byte[] bytes = Files.readAllBytes(broken.resolve("model.safetensors"));
        Files.write(broken.resolve("model.safetensors"), java.util.Arrays.copyOf(bytes, bytes.length / 2));
        fails(CliRun.run("summarize", "--model", broken.toString(), "--device", "jvm", "text"), "model.safetensors");
        Files.write(broken.resolve("model.safetensors"), new byte[]{1, 2, 3});
        fails(CliRun.run("summarize", "--model", broken.toString(), "--device", "jvm", "text"),
                "model.safetensors: truncated");
    }

    @Test
    void emptyInput() throws IOException {
        fails(CliRun.withStdin("  \n", "summarize", "--model", bart.toString(), "--device", "jvm"), "empty input");
        fails(CliRun.run("summarize", "--model", bart.toString(), "--device", "jvm", ""), "empty input: argument 1 is empty");
        Path empty = tmp.resolve("empty.jsonl");
        Files.writeString(empty, "\n");
        fails(CliRun.run("summarize", "--model", bart.toString(), "--input", empty.toString()),
                "empty input: " + empty + " has no records");
        Path emptyIds = tmp.resolve("empty-ids.jsonl");
        Files.writeString(emptyIds, "{\"input_ids\": [0, 5, 2]}\n{\"input_ids\": []}\n");
        fails(CliRun.run("summarize", "--model", bart.toString(), "--input", emptyIds.toString()),
                "empty input: " + emptyIds + " line 2 has an empty input_ids list");
    }

    @Test
    void inputLongerThanThePositionsSaysTheLimitAndTruncateCutsIt() throws IOException {
        String longText = "word ".repeat(100);
        String line = fails(CliRun.run("summarize", "--model", bart.toString(), "--device", "jvm", longText),
                "argument 1: the input is ");
        assertTrue(line.endsWith("tokens but the model takes at most 64 (its 64 positions); pass --truncate to cut it"),
                line);
        CliRun cut = CliRun.run("summarize", "--model", bart.toString(), "--device", "jvm", "--truncate",
                "--max-new-tokens", "3", longText);
        assertEquals(0, cut.code(), cut.toString());
    }

    @Test
    void unknownDevice() {
        fails(CliRun.run("summarize", "--model", bart.toString(), "--device", "cuda:7", "text"),
                "no device 'cuda:7'; available devices: ");
    }

    @Test
    void badJsonlLineSaysWhichLine() throws IOException {
        Path bad = tmp.resolve("bad.jsonl");
        Files.writeString(bad, "{\"text\": \"fine\"}\n{\"text\": \"broken\n");
        fails(CliRun.run("summarize", "--model", bart.toString(), "--input", bad.toString()), bad + " line 2: not valid JSON");
        Files.writeString(bad, "{\"text\": \"fine\"}\n\n[1, 2]\n");
        fails(CliRun.run("summarize", "--model", bart.toString(), "--input", bad.toString()),
                bad + " line 3: not a JSON object");
        Files.writeString(bad, "{\"input_ids\": [0, \"x\"]}\n");
        fails(CliRun.run("summarize", "--model", bart.toString(), "--input", bad.toString()),
                bad + " line 1: input_ids[1] is \"x\", not a non-negative integer");
    }

    /** GZIPInputStream's EOFException for a cut header has no message: this was "cannot read: null". */
    @Test
    void gzipCutShortSaysSo() throws IOException {
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(gz)) {
            z.write("{\"text\": \"one\"}\n".getBytes(StandardCharsets.UTF_8));
        }
        Path cut = tmp.resolve("cut.jsonl.gz");
        for (int length : new int[] {5, gz.size() / 2}) {
            Files.write(cut, Arrays.copyOf(gz.toByteArray(), length));
            String line = fails(CliRun.run("summarize", "--model", bart.toString(), "--device", "jvm", "--input", cut.toString()),
                    cut + ": damaged or truncated gzip data (");
            assertTrue(line.endsWith("); compress the file again or fetch a whole copy"), line);
            fails(CliRun.run("eval", "--model", bart.toString(), "--device", "jvm", "--input", cut.toString()),
                    cut + ": damaged or truncated gzip data (");
        }
    }

    @Test
    void badGenerationConfigNamesTheFile() throws IOException {
        Path model = TinyCheckpoints.bart(tmp.resolve("bad-generation"));
        Files.writeString(model.resolve("generation_config.json"), "{\"num_beams\": [4]}");
        fails(CliRun.run("summarize", "--model", model.toString(), "--device", "jvm", "text"),
                model.resolve("generation_config.json") + ": num_beams must be an integer, not [4]; correct it in the file");
    }

    @Test
    void attentionMaskHoldsZerosAndOnesWithAToken() throws IOException {
        Path bad = tmp.resolve("mask.jsonl");
        Files.writeString(bad, "{\"input_ids\": [0, 5, 2], \"attention_mask\": [1, 1, 1]}\n"
                + "{\"input_ids\": [0, 5, 2], \"attention_mask\": [1, 2, 1]}\n");
        fails(CliRun.run("summarize", "--model", bart.toString(), "--device", "jvm", "--input", bad.toString()),
                bad + " line 2: attention_mask[1] is 2; a mask holds 1 (a token to attend to) or 0 (padding)");
        Files.writeString(bad, "{\"input_ids\": [0, 5, 2], \"attention_mask\": [0, 0, 0]}\n");
        fails(CliRun.run("summarize", "--model", bart.toString(), "--device", "jvm", "--input", bad.toString()),
                bad + " line 1: attention_mask is all 0, so no token of the input would be attended to");
    }

    @Test
    void idFieldMustBeOnEveryRecord() throws IOException {
        Path in = tmp.resolve("keys.jsonl");
        Files.writeString(in, "{\"key\": \"a\", \"text\": \"one\"}\n{\"id\": \"b\", \"text\": \"two\"}\n");
        fails(CliRun.run("summarize", "--model", bart.toString(), "--device", "jvm", "--input", in.toString(),
                "--id-field", "key"), in + " line 2: no \"key\" field (the record's id; see --id-field)");
    }

    @Test
    void outputThatIsAFolder() {
        fails(CliRun.run("summarize", "--model", bart.toString(), "--device", "jvm", "--output", tmp.toString(),
                "--overwrite", "text"), tmp + " is a folder; give --output a file name");
    }

    @Test
    void evalJsonIsCheckedBeforeTheRun() throws IOException {
        Path data = tmp.resolve("eval.jsonl");
        Files.writeString(data, "{\"description\": \"Some text.\", \"synopsis\": \"text\"}\n");
        Path json = tmp.resolve("no-such-folder/eval.json");
        CliRun r = CliRun.run("eval", "--model", bart.toString(), "--device", "jvm", "--input", data.toString(),
                "--json", json.toString());
        fails(r, "--json " + json + ": no such folder " + json.getParent());
        assertEquals("", r.out(), "no run before the check");
    }

    @Test
    void stacktraceShowsTheTrace() {
        CliRun r = CliRun.run("summarize", "--model", tmp.resolve("nothing").toString(), "--stacktrace", "text");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("\tat "), r.err());
    }

    @Test
    void badOptionValueIsOneLineAndExitCodeTwo() {
        CliRun r = CliRun.run("summarize", "--num-beams", "many", "text");
        assertEquals(2, r.code());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains("'many' is not an int"), r.err());
    }
}
