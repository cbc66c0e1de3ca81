package elattn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The command line itself: help on every subcommand, arguments taken literally (no {@code @file}
 * expansion), and exit code 2 for every mistake in the command line (1 is for a run that failed).
 */
class CommandLineTest {
    @TempDir
    static Path tmp;
    static Path bart;

    @BeforeAll
    static void model() throws IOException {
        bart = TinyCheckpoints.bart(tmp.resolve("bart"));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"summarize", "generate", "eval", "bench", "devices", "check"})
    void everySubcommandHasHelp(String command) {
        for (String flag : List.of("--help", "-h")) {
            CliRun r = CliRun.run(command, flag);
            assertEquals(0, r.code(), flag + ": " + r);
            assertTrue(r.out().startsWith("Usage: elattn " + command + " "), r.out());
            assertTrue(r.out().contains("-h, --help"), r.out());
            assertEquals("", r.err());
        }
    }

    @Test
    void anArgumentStartingWithAtIsText() throws IOException {
        Path notes = tmp.resolve("notes.txt");
        Files.writeString(notes, "several words that must not become inputs");
        CliRun r = CliRun.run("summarize", "--model", bart.toString(), "--device", "jvm", "--max-new-tokens", "2",
                "--format", "jsonl", "@" + notes);
        assertEquals(0, r.code(), r.toString());
        assertEquals(1, GenerationCommandsTest.records(r.out()).size(), "one input, the argument itself: " + r.out());
    }

    /** Exit 2 and one line that points at the help, for every flag value or combination that cannot work anywhere. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
            "summarize --batch-size 0 text",
            "summarize --attention fast text",
            "summarize --early-stopping maybe text",
            "summarize --resume --overwrite --output OUT text",
            "summarize --resume text",
            "summarize --resume --format text --output OUT text",
            "summarize --input IN text",
            "generate --attention fast text",
            "eval --input IN --limit 0",
            "eval --input IN --batch-size 0",
            "summarize --input IN --batch-size 0",
            "eval --input IN --attention el,fast",
            "bench --records 0 text",
            "summarize --num-beams many text"})
    void commandLineMistakesExitWithTwo(String line) {
        String[] args = line.replace("OUT", tmp.resolve("out.jsonl").toString())
                .replace("IN", tmp.resolve("in.jsonl").toString()).split(" ");
        CliRun r = CliRun.run(withModel(args));
        assertEquals(2, r.code(), r.toString());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("elattn: ") && r.err().strip().endsWith(" --help`)"), r.err());
    }

    @Test
    void aFailedRunExitsWithOne() {
        CliRun r = CliRun.run("summarize", "--model", bart.toString(), "--device", "jvm", "--input",
                tmp.resolve("missing.jsonl").toString());
        assertEquals(1, r.code(), r.toString());
        assertEquals("elattn: " + tmp.resolve("missing.jsonl") + ": no such file", r.err().strip());
    }

    private static String[] withModel(String[] args) {
        String[] out = new String[args.length + 4];
        out[0] = args[0];
        System.arraycopy(new String[]{"--model", bart.toString(), "--device", "jvm"}, 0, out, 1, 4);
        System.arraycopy(args, 1, out, 5, args.length - 1);
        return out;
    }
}
