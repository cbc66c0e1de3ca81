package elattn.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A decoder-only prompt shares the model's positions with its new tokens: a record whose prompt
 * and {@code --max-new-tokens} do not fit is refused before any generation, naming the record (file,
 * line, id) and {@code --truncate}; with {@code --truncate} it keeps the prompt's last tokens,
 * leaving room for the new ones, and generates what that shorter prompt given directly generates.
 */
class PositionsTest {
    @TempDir
    static Path tmp;
    static Path gpt2;

    @BeforeAll
    static void model() throws IOException {
        gpt2 = TinyCheckpoints.gpt2(tmp.resolve("gpt2"));
    }

    private static String ids(int from, int count) {
        return IntStream.range(from, from + count).mapToObj(i -> Integer.toString(i % 500)).collect(Collectors.joining(", "));
    }

    private static Path jsonl(String name, String... records) throws IOException {
        Path p = tmp.resolve(name);
        Files.writeString(p, String.join("\n", records) + "\n");
        return p;
    }

    @Test
    void aPromptWithoutRoomForItsNewTokensIsNamedBeforeAnyWork() throws IOException {
        Path input = jsonl("long.jsonl", "{\"id\": \"a\", \"input_ids\": [" + ids(1, 5) + "]}",
                "{\"id\": \"b\", \"input_ids\": [" + ids(7, 60) + "]}");
        CliRun r = CliRun.run("generate", "--model", gpt2.toString(), "--device", "jvm", "--input", input.toString(),
                "--max-new-tokens", "10", "--format", "jsonl");
        assertEquals(1, r.code(), r.toString());
        assertEquals("elattn: " + input + " line 2 (id \"b\"): the input is 60 tokens but the model takes at most 54"
                + " (its 64 positions less --max-new-tokens 10); pass --truncate to cut it to its last 54 tokens",
                r.err().strip());
        assertEquals("", r.out(), "nothing generated, not even the record that fits");
    }

    @Test
    void truncateKeepsTheLastTokensAndLeavesRoomForTheNewOnes() throws IOException {
        Path input = jsonl("cut.jsonl", "{\"id\": \"b\", \"input_ids\": [" + ids(7, 60) + "]}");
        Path direct = jsonl("direct.jsonl", "{\"id\": \"b\", \"input_ids\": [" + ids(7 + 6, 54) + "]}");
        CliRun cut = CliRun.run("generate", "--model", gpt2.toString(), "--device", "jvm", "--input", input.toString(),
                "--max-new-tokens", "10", "--format", "jsonl", "--truncate");
        CliRun given = CliRun.run("generate", "--model", gpt2.toString(), "--device", "jvm", "--input",
                direct.toString(), "--max-new-tokens", "10", "--format", "jsonl");
        assertEquals(0, cut.code(), cut.toString());
        assertEquals(0, given.code(), given.toString());
        List<JsonObject> a = GenerationCommandsTest.records(cut.out());
        List<JsonObject> b = GenerationCommandsTest.records(given.out());
        int[] generated = GenerationCommandsTest.ints(a.get(0).getAsJsonArray("output_ids").get(0));
        assertTrue(generated.length >= 1 && generated.length <= 10, cut.out());
        assertArrayEquals(GenerationCommandsTest.ints(b.get(0).getAsJsonArray("output_ids").get(0)), generated);
    }

    @Test
    void withoutMaxNewTokensAPromptLeavesRoomForOne() throws IOException {
        Path input = jsonl("full.jsonl", "{\"input_ids\": [" + ids(1, 64) + "]}");
        CliRun r = CliRun.run("generate", "--model", gpt2.toString(), "--device", "jvm", "--input", input.toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("line 1 (id 1): the input is 64 tokens but the model takes at most 63 (its 64"
                + " positions less one new token); pass --truncate"), r.err());
    }
}
