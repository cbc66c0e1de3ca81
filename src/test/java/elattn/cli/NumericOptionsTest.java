package elattn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every numeric flag out of its range is a bad command line: exit 2 and one line naming the flag
 * and the limit, before any work (no output file). The limits are the library's validation against
 * the opened model (64 positions, a device that selects 64 candidates per row), not a second copy.
 */
class NumericOptionsTest {
    /** Numbers each run's --output, so no run finds another's file. */
    private static final AtomicInteger OUTPUTS = new AtomicInteger();
    @TempDir
    static Path tmp;
    static Path bart;
    static Path gpt2;

    @BeforeAll
    static void models() throws IOException {
        bart = TinyCheckpoints.bart(tmp.resolve("bart"));
        gpt2 = TinyCheckpoints.gpt2(tmp.resolve("gpt2"));
    }

    /** Runs {@code command} on the tiny model with {@code flags} and an --output; expects exit 2 with {@code what}. */
    private static String refused(String command, String what, String... flags) {
        Path output = tmp.resolve("out-" + OUTPUTS.incrementAndGet() + ".jsonl");
        List<String> args = new ArrayList<>(List.of(command, "--model", (command.equals("generate") ? gpt2 : bart)
                .toString(), "--device", "jvm", "--output", output.toString()));
        args.addAll(List.of(flags));
        args.add("some input text");
        CliRun r = CliRun.run(args.toArray(String[]::new));
        assertEquals(2, r.code(), r.toString());
        assertEquals(1, r.err().lines().count(), "one line: " + r.err());
        assertTrue(r.err().startsWith("elattn: "), r.err());
        assertTrue(r.err().contains(what), r.err());
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), "no stack trace: " + r.err());
        assertFalse(Files.exists(output), "no output before the checks pass");
        return r.err();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @CsvSource(delimiter = '|', value = {
        "summarize | --max-new-tokens | 2147483647 | --max-new-tokens 2147483647 is too large: the model's 64 positions allow at most 63 new tokens after the decoder start token",
        "generate  | --max-new-tokens | 2147483647 | --max-new-tokens 2147483647 is too large: the model's 64 positions allow at most 63 new tokens after a one-token prompt",
        "summarize | --max-new-tokens | 64         | at most 63 new tokens",
        "summarize | --max-new-tokens | 0          | --max-new-tokens must be greater than 0",
        "summarize | --min-new-tokens | 2147483647 | --min-new-tokens 2147483647 could never be reached",
        "generate  | --min-new-tokens | 2147483647 | --min-new-tokens 2147483647 could never be reached",
        "summarize | --min-new-tokens | -1         | must not be negative",
        "summarize | --max-length | 2147483647     | --max-length 2147483647 is more than the model's 64 positions",
        "generate  | --max-length | 65             | --max-length 65 is more than the model's 64 positions",
        "summarize | --max-length | 0              | --max-length must be at least 1",
        "summarize | --min-length | 2147483647     | --min-length 2147483647 could never be reached",
        "summarize | --num-beams | 2147483647      | the model selects at most 64, so --num-beams can be at most 32",
        "summarize | --num-beams | 33              | --num-beams 33 needs 66 candidates per row and step",
        "summarize | --num-beams | 0               | --num-beams must be at least 1, not 0",
        "summarize | --num-beams | -5              | --num-beams must be at least 1, not -5",
        "summarize | --no-repeat-ngram-size | -1   | --no-repeat-ngram-size must not be negative",
        "summarize | --no-repeat-ngram-size | 2147483647 | --no-repeat-ngram-size 2147483647 is longer than the model's 64 positions",
        "summarize | --length-penalty | NaN        | --length-penalty must be a finite number, not NaN",
        "summarize | --length-penalty | Infinity   | --length-penalty must be a finite number, not Infinity",
        "summarize | --length-penalty | -Infinity  | --length-penalty must be a finite number, not -Infinity",
        "summarize | --num-return-sequences | 0    | --num-return-sequences must be at least 1",
        "summarize | --num-return-sequences | 2147483647 | --num-return-sequences (2147483647) must be at most --num-beams (4)",
        "summarize | --early-stopping | maybe      | --early-stopping takes true, false or never, not 'maybe'",
        "summarize | --batch-size | 0              | --batch-size must be at least 1, not 0",
        "generate  | --batch-size | -2147483648    | --batch-size must be at least 1",
    })
    void outOfRangeIsABadCommandLine(String command, String flag, String value, String what) {
        refused(command.strip(), what.strip(), flag.strip(), value.strip());
    }

    @Test
    void beamsUpToTheDeviceLimitRun() {
        CliRun r = CliRun.run("summarize", "--model", bart.toString(), "--device", "jvm", "--num-beams", "32",
                "--max-new-tokens", "3", "text");
        assertEquals(0, r.code(), r.toString());
    }

    @Test
    void benchRecordsAreBounded() {
        CliRun r = CliRun.run("bench", "--model", bart.toString(), "--device", "jvm", "--records", "2000000000", "text");
        assertEquals(2, r.code(), r.toString());
        assertEquals("elattn: --records must be between 1 and 1000000, not 2000000000 (see `elattn bench --help`)",
                r.err().strip());
        assertEquals(2, CliRun.run("bench", "--model", bart.toString(), "--records", "0", "text").code());
    }

    @Test
    void evalLimitIsChecked() throws IOException {
        Path input = tmp.resolve("eval.jsonl");
        Files.writeString(input, "{\"description\": \"a text\", \"synopsis\": \"a summary\"}\n");
        CliRun r = CliRun.run("eval", "--model", bart.toString(), "--device", "jvm", "--input", input.toString(),
                "--limit", "0");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("--limit must be at least 1, not 0"), r.err());
    }

    /** A value the checkpoint's own generation_config.json holds (not a flag) is a failed run naming the folder. */
    @Test
    void aCheckpointValueBeyondTheLimitsNamesTheFolder() throws IOException {
        Path wide = TinyCheckpoints.bart(tmp.resolve("wide-beams"));
        Path config = wide.resolve("generation_config.json");
        Files.writeString(config, Files.readString(config).replace("\"num_beams\": 4", "\"num_beams\": 40"));
        CliRun r = CliRun.run("summarize", "--model", wide.toString(), "--device", "jvm", "text");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().startsWith("elattn: " + wide + ": the checkpoint's generation config: --num-beams 40 needs"
                + " 80 candidates"), r.err());
        CliRun fixed = CliRun.run("summarize", "--model", wide.toString(), "--device", "jvm", "--num-beams", "2",
                "--max-new-tokens", "3", "text");
        assertEquals(0, fixed.code(), fixed.toString());
    }
}
