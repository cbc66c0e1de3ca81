package elattn.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real GPT-2 vocabulary: ids every GPT-2 user knows, lossless round trips, partial characters
 * decoded to U+FFFD, and the tokenizer.json loader agreeing with the vocab.json + merges.txt one.
 * Token identity with HF itself is {@link OracleTest}'s job.
 */
class Gpt2VocabularyTest {
    @TempDir
    Path dir;

    static final List<String> SAMPLES = List.of("Hello world", " Hello world", "The quick brown fox.", "don't stop",
            "a\n\nb\n", "   spaced    out   ", "caf\u00e9 \u65e5\u672c\u8a9e \ud83d\ude00\ud83d\udc4d\ud83c\udffd",
            "<|endoftext|>x<|endoftext|>", "Supercalifragilisticexpialidocious".repeat(20), "1234567890 3.14",
            "tab\tand\r\nCRLF", "\u0000\u0001\u007f", "");

    @Test
    void wellKnownIds() {
        BpeTokenizer t = Gpt2Data.gpt2();
        assertArrayEquals(new int[] {15496, 995}, t.encode("Hello world", true));
        assertArrayEquals(new int[] {18435}, t.encode(" Hello", true));
        assertArrayEquals(new int[] {464, 262}, t.encode("The the", true));
        assertArrayEquals(new int[] {836, 470}, t.encode(" don't", true));
        assertArrayEquals(new int[] {628}, t.encode("\n\n", true));
        assertArrayEquals(new int[] {220, 357}, t.encode("  (", true));
        assertArrayEquals(new int[] {15496, 50256, 995}, t.encode("Hello<|endoftext|> world", true));
        assertEquals(50257, t.vocabSize());
        assertEquals(OptionalInt.of(50256), t.bosId());
        assertEquals(OptionalInt.of(50256), t.eosId());
        assertEquals(OptionalInt.empty(), t.padId());
    }

    @Test
    void decodingUndoesEncoding() {
        BpeTokenizer t = Gpt2Data.gpt2();
        for (String s : SAMPLES) {
            assertEquals(s, t.decode(t.encode(s, true), false), s);
        }
        Random random = new Random(7);
        for (int n = 0; n < 2000; n++) {
            StringBuilder sb = new StringBuilder();
            int len = random.nextInt(20);
            for (int i = 0; i < len; i++) {
                int cp = switch (random.nextInt(4)) {
                    case 0 -> ' ' + random.nextInt(95);
                    case 1 -> 0xA0 + random.nextInt(0x2000);
                    case 2 -> 0x1F300 + random.nextInt(0x300);
                    default -> " \n\t\u3000".charAt(random.nextInt(4));
                };
                sb.appendCodePoint(cp);
            }
            String s = sb.toString();
            assertEquals(s, t.decode(t.encode(s, false), false), s);
        }
    }

    @Test
    void specialTokensCanBeSkippedWhenDecoding() {
        BpeTokenizer t = Gpt2Data.gpt2();
        assertEquals("Hello world", t.decode(new int[] {15496, 50256, 995}, true));
        assertEquals("Hello<|endoftext|> world", t.decode(new int[] {15496, 50256, 995}, false));
    }

    @Test
    void aCharacterCutBetweenTokensDecodesToReplacement() {
        BpeTokenizer t = Gpt2Data.gpt2();
        int[] ids = t.encode("\ud83d\ude00", false); // F0 9F 98 80, more than one token in GPT-2
        assertEquals(true, ids.length > 1, "the emoji takes several byte tokens");
        int[] head = java.util.Arrays.copyOf(ids, ids.length - 1);
        assertEquals("\uFFFD", t.decode(head, false));
        int[] tail = java.util.Arrays.copyOfRange(ids, 1, ids.length);
        String decodedTail = t.decode(tail, false);
        assertEquals(true, decodedTail.chars().allMatch(c -> c == 0xFFFD), decodedTail);
    }

    @Test
    void tokenizerJsonAndVocabMergesGiveTheSameIds() throws IOException {
        Path d = Gpt2Data.dir();
        for (boolean pairs : new boolean[] {false, true}) {
            BpeTokenizer fromJson = BpeTokenizer.fromTokenizerJson(writeTokenizerJson(d, pairs));
            BpeTokenizer fromPair = Gpt2Data.gpt2();
            for (String s : SAMPLES) {
                assertArrayEquals(fromPair.encode(s, true), fromJson.encode(s, true), s);
            }
            assertEquals(fromPair.vocabSize(), fromJson.vocabSize());
            assertEquals(fromPair.eosId(), fromJson.eosId());
        }
    }

    /** GPT-2's tokenizer.json as HF saves it, with merges as "a b" strings or as [a, b] pairs. */
    private Path writeTokenizerJson(Path d, boolean pairs) throws IOException {
        JsonObject root = new JsonObject();
        JsonArray added = new JsonArray();
        added.add(JsonParser.parseString("{\"id\":50256,\"content\":\"<|endoftext|>\",\"single_word\":false,"
                + "\"lstrip\":false,\"rstrip\":false,\"normalized\":true,\"special\":true}"));
        root.add("added_tokens", added);
        root.add("normalizer", null);
        root.add("pre_tokenizer", JsonParser.parseString(
                "{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":true,\"use_regex\":true}"));
        root.add("post_processor", JsonParser.parseString(
                "{\"type\":\"ByteLevel\",\"add_prefix_space\":true,\"trim_offsets\":false,\"use_regex\":true}"));
        root.add("decoder", JsonParser.parseString(
                "{\"type\":\"ByteLevel\",\"add_prefix_space\":true,\"trim_offsets\":true,\"use_regex\":true}"));
        JsonObject model = new JsonObject();
        model.addProperty("type", "BPE");
        model.add("vocab", JsonParser.parseString(Files.readString(d.resolve("vocab.json"), StandardCharsets.UTF_8)));
        JsonArray merges = new JsonArray();
        for (String line : Files.readAllLines(d.resolve("merges.txt"), StandardCharsets.UTF_8)) {
            if (line.isEmpty() || line.startsWith("#version")) {
                continue;
            }
            if (pairs) {
                JsonArray p = new JsonArray();
                for (String part : line.split(" ")) {
                    p.add(part);
                }
                merges.add(p);
            } else {
                merges.add(line);
            }
        }
        model.add("merges", merges);
        root.add("model", model);
        Path f = dir.resolve(pairs ? "pairs.json" : "strings.json");
        Files.writeString(f, root.toString(), StandardCharsets.UTF_8);
        return f;
    }
}
