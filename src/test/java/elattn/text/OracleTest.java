package elattn.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Token identity with HF: {@code src/test/resources/oracle/tokenizer/cases.json} holds, for hard
 * strings, the ids and decodings HF transformers/tokenizers gave for GPT-2 and for a BART-style
 * tokenizer over the same vocabulary (made by {@code src/test/python/make_oracle.py}, see
 * docs/tokenizer.md). Every loader must give the same ids and decodings.
 */
class OracleTest {
    static final Path ORACLE = Path.of("src", "test", "resources", "oracle", "tokenizer");

    @TempDir
    Path dir;

    static JsonObject cases() throws IOException {
        return JsonParser.parseString(Files.readString(ORACLE.resolve("cases.json"), StandardCharsets.UTF_8)).getAsJsonObject();
    }

    static int[] ids(JsonObject record) {
        return record.getAsJsonArray("ids").asList().stream().mapToInt(JsonElement::getAsInt).toArray();
    }

    /** Checks every case of {@code family} ("gpt2" or "bart") against {@code tokenizer}; returns the mismatches. */
    static List<String> check(BpeTokenizer tokenizer, String family, JsonObject cases) {
        List<String> bad = new ArrayList<>();
        for (JsonElement e : cases.getAsJsonArray("cases")) {
            String text = e.getAsJsonObject().get("text").getAsString();
            JsonObject expected = e.getAsJsonObject().getAsJsonObject(family);
            int[] want = ids(expected);
            int[] got = tokenizer.encode(text, true);
            if (!java.util.Arrays.equals(want, got)) {
                bad.add(family + " ids of " + quote(text) + ": HF " + java.util.Arrays.toString(want) + ", ours "
                        + java.util.Arrays.toString(got));
            }
            List<String> tokens = expected.getAsJsonArray("tokens").asList().stream().map(JsonElement::getAsString).toList();
            List<String> ours = java.util.Arrays.stream(want).mapToObj(tokenizer::idToToken).toList();
            if (!tokens.equals(ours)) {
                bad.add(family + " tokens of " + quote(text) + ": HF " + tokens + ", ours " + ours);
            }
            String decoded = tokenizer.decode(want, false);
            if (!decoded.equals(expected.get("decoded").getAsString())) {
                bad.add(family + " decode of " + quote(text) + ": HF " + quote(expected.get("decoded").getAsString())
                        + ", ours " + quote(decoded));
            }
            String skipped = tokenizer.decode(want, true);
            if (!skipped.equals(expected.get("decoded_skip_special").getAsString())) {
                bad.add(family + " decode skipping special tokens of " + quote(text) + ": HF "
                        + quote(expected.get("decoded_skip_special").getAsString()) + ", ours " + quote(skipped));
            }
        }
        return bad;
    }

    private static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        s.codePoints().forEach(c -> sb.append(c >= 0x20 && c < 0x7F ? Character.toString(c) : String.format("\\u{%x}", c)));
        return sb.append('"').toString();
    }

    @Test
    void gpt2FromTokenizerJson() throws IOException {
        JsonObject cases = cases();
        BpeTokenizer t = BpeTokenizer.fromTokenizerJson(ORACLE.resolve("tokenizer.json"));
        assertEquals(List.of(), check(t, "gpt2", cases));
        assertEquals(cases.getAsJsonObject("gpt2").get("len").getAsInt(), t.vocabSize());
    }

    @Test
    void gpt2FromVocabAndMerges() throws IOException {
        JsonObject cases = cases();
        assertEquals(List.of(), check(Gpt2Data.gpt2(), "gpt2", cases));
        assertSpecialIds(Gpt2Data.gpt2(), cases.getAsJsonObject("gpt2"));
    }

    @Test
    void bartFromTokenizerJson() throws IOException {
        JsonObject cases = cases();
        JsonObject bart = cases.getAsJsonObject("bart").getAsJsonObject("tokenizer_json_without_model").deepCopy();
        assertTrue(cases.getAsJsonObject("bart").get("model_identical_to_gpt2").getAsBoolean());
        JsonObject gpt2 = JsonParser.parseString(Files.readString(ORACLE.resolve("tokenizer.json"), StandardCharsets.UTF_8))
                .getAsJsonObject();
        bart.add("model", gpt2.get("model"));
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, bart.toString(), StandardCharsets.UTF_8);
        BpeTokenizer t = BpeTokenizer.fromTokenizerJson(file);
        assertEquals(List.of(), check(t, "bart", cases));
        assertEquals(cases.getAsJsonObject("bart").get("len").getAsInt(), t.vocabSize());
    }

    @Test
    void bartFromVocabAndMerges() throws IOException {
        JsonObject cases = cases();
        Path d = Gpt2Data.dir();
        BpeTokenizer t = BpeTokenizer.fromVocabAndMerges(d.resolve("vocab.json"), d.resolve("merges.txt"), BpeTokenizer.Style.BART);
        assertEquals(List.of(), check(t, "bart", cases));
        assertSpecialIds(t, cases.getAsJsonObject("bart"));
        assertEquals(cases.getAsJsonObject("bart").get("len").getAsInt(), t.vocabSize());
    }

    /** HF's special tokens have the same ids here. */
    private static void assertSpecialIds(BpeTokenizer t, JsonObject family) {
        for (Map.Entry<String, JsonElement> e : family.getAsJsonObject("special_tokens").entrySet()) {
            assertEquals(e.getValue().getAsInt(), t.tokenToId(e.getKey()).orElse(-1), e.getKey());
            assertTrue(t.isSpecial(e.getValue().getAsInt()), e.getKey());
        }
    }
}
