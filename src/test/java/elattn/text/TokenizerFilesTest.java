package elattn.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import elattn.testing.NamedPipes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Opening checkpoint folders: which files are used, and the error for each kind of bad input. */
class TokenizerFilesTest {
    @TempDir
    Path dir;

    static final String MERGES_TXT = "#version: 0.2\na b\nb c\nab c\n\u0120 a\n\u0120a b\n";

    private void write(String name, String content) throws IOException {
        Files.writeString(dir.resolve(name), content);
    }

    private TokenizerException fails(Path folder) {
        return assertThrows(TokenizerException.class, () -> BpeTokenizer.open(folder));
    }

    @Test
    void vocabAndMergesOfABartCheckpointWrapTheText() throws IOException {
        write("vocab.json", BpeTokenizerTest.VOCAB);
        write("merges.txt", MERGES_TXT);
        write("config.json", "{\"model_type\":\"bart\"}");
        BpeTokenizer t = BpeTokenizer.open(dir);
        assertArrayEquals(new int[] {10, 3, 6, 11}, t.encode(" abc", true));
        assertArrayEquals(new int[] {4, 3, 12}, t.encode("ab <mask>", false)); // no lstrip without tokenizer.json, as transformers 5
        assertEquals(OptionalInt.of(10), t.bosId());
        assertEquals(OptionalInt.of(11), t.eosId());
        assertEquals(OptionalInt.of(14), t.padId()); // <pad> is not in this vocab.json: it gets the next id
    }

    @Test
    void vocabAndMergesOfAGpt2CheckpointAddNothingAndReadTheTokenizerConfig() throws IOException {
        write("vocab.json", BpeTokenizerTest.VOCAB);
        write("merges.txt", MERGES_TXT);
        write("config.json", "{\"model_type\":\"gpt2\"}");
        write("tokenizer_config.json", "{\"pad_token\":{\"content\":\"<s>\"},\"add_prefix_space\":true}");
        write("special_tokens_map.json", "{\"bos_token\":\"</s>\"}");
        BpeTokenizer t = BpeTokenizer.open(dir);
        assertArrayEquals(new int[] {3, 6, 9}, t.encode("abc<|endoftext|>", true)); // prefix space: " abc"
        assertEquals(OptionalInt.of(10), t.padId());
        assertEquals(OptionalInt.of(11), t.bosId());
        assertEquals(OptionalInt.of(9), t.eosId());
    }

    @Test
    void withoutConfigTheStyleComesFromTheVocabulary() throws IOException {
        write("vocab.json", "{\"a\":0,\"<s>\":1,\"</s>\":2}");
        write("merges.txt", "#version: 0.2\n");
        assertArrayEquals(new int[] {1, 0, 2}, BpeTokenizer.open(dir).encode("a", true));
    }

    @Test
    void tokenizerJsonIsPreferred() throws IOException {
        write("vocab.json", "not even json");
        write("tokenizer.json", BpeTokenizerTest.tokenizerJson(BpeTokenizerTest.MERGES, null,
                BpeTokenizerTest.added(9, "<|endoftext|>", false), BpeTokenizerTest.GPT2_POST, false));
        assertArrayEquals(new int[] {6}, BpeTokenizer.open(dir).encode("abc", true));
    }

    @Test
    void missingFolder() {
        Path missing = dir.resolve("nope");
        TokenizerException e = fails(missing);
        assertTrue(e.getMessage().startsWith(missing + ": no such folder"), e.getMessage());
    }

    @Test
    void folderWithoutTokenizerNamesTheFilesItLookedFor() throws IOException {
        TokenizerException e = fails(dir);
        assertTrue(e.getMessage().startsWith(dir.toString()), e.getMessage());
        for (String f : new String[] {"tokenizer.json", "vocab.json", "merges.txt"}) {
            assertTrue(e.getMessage().contains(f), e.getMessage());
        }
        assertTrue(e.getMessage().endsWith("(none of them is there)"), e.getMessage());
        write("vocab.json", "{}");
        assertTrue(fails(dir).getMessage().endsWith("(only vocab.json is there)"), fails(dir).getMessage());
    }

    @Test
    void corruptFilesAreNamed() throws IOException {
        write("tokenizer.json", "{\"model\": {\"vocab\": {\"a\": 0,");
        TokenizerException e = fails(dir);
        assertTrue(e.getMessage().startsWith(dir.resolve("tokenizer.json") + ": not valid JSON"), e.getMessage());

        write("tokenizer.json", "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {}}}");
        assertTrue(fails(dir).getMessage().contains("model type WordPiece is not supported"), fails(dir).getMessage());

        Files.delete(dir.resolve("tokenizer.json"));
        write("vocab.json", "[1, 2]");
        write("merges.txt", MERGES_TXT);
        write("config.json", "{\"model_type\":\"gpt2\"}");
        e = fails(dir);
        assertTrue(e.getMessage().startsWith(dir.resolve("vocab.json") + ": holds [1,2] where a JSON object belongs"),
                e.getMessage());

        write("vocab.json", BpeTokenizerTest.VOCAB);
        write("merges.txt", "#version: 0.2\na b\nthree tokens here\n");
        e = fails(dir);
        assertTrue(e.getMessage().startsWith(dir.resolve("merges.txt") + ": line 3 'three tokens here'"), e.getMessage());

        write("merges.txt", "#version: 0.2\na z\n");
        e = fails(dir);
        assertTrue(e.getMessage().contains("merge 1 'a z' uses 'z', which is not in the vocabulary"), e.getMessage());

        write("merges.txt", MERGES_TXT);
        write("config.json", "{\"model_type\":\"t5\"}");
        e = fails(dir);
        assertTrue(e.getMessage().startsWith(dir.resolve("config.json") + ": model_type t5"), e.getMessage());

        write("config.json", "{\"model_type\":");
        assertTrue(fails(dir).getMessage().startsWith(dir.resolve("config.json") + ": not valid JSON"));
    }

    @Test
    void unsupportedPartsOfTokenizerJsonAreRefusedByName() throws IOException {
        String json = BpeTokenizerTest.tokenizerJson(BpeTokenizerTest.MERGES, null, "", BpeTokenizerTest.GPT2_POST, false);
        write("tokenizer.json", json.replace("\"normalizer\":null", "\"normalizer\":{\"type\":\"NFKC\"}"));
        assertTrue(fails(dir).getMessage().contains("normalizer NFKC is not supported"));
        write("tokenizer.json", json.replace("\"pre_tokenizer\":{\"type\":\"ByteLevel\"", "\"pre_tokenizer\":{\"type\":\"Whitespace\""));
        assertTrue(fails(dir).getMessage().contains("pre_tokenizer Whitespace is not supported"));
        write("tokenizer.json", json.replace("\"decoder\":{\"type\":\"ByteLevel\"", "\"decoder\":{\"type\":\"WordPiece\""));
        assertTrue(fails(dir).getMessage().contains("decoder WordPiece is not supported"));
    }

    @Test
    void namedPipeIsRefusedRatherThanWaitedOn() throws Exception {
        NamedPipes.create(dir.resolve("tokenizer.json"));
        TokenizerException e = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> fails(dir));
        assertTrue(e.getMessage().startsWith(dir.resolve("tokenizer.json") + ": is not a regular file"), e.getMessage());
        Files.delete(dir.resolve("tokenizer.json"));
        write("vocab.json", BpeTokenizerTest.VOCAB);
        write("config.json", "{\"model_type\":\"gpt2\"}");
        NamedPipes.create(dir.resolve("merges.txt"));
        e = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> fails(dir));
        assertTrue(e.getMessage().startsWith(dir.resolve("merges.txt") + ": is not a regular file"), e.getMessage());
    }

    /** Gson exceptions (here IllegalStateException, ArrayIndexOutOfBounds) used to escape or show their class names. */
    @Test
    void fieldsOfTheWrongTypeAreNamed() throws IOException {
        String json = BpeTokenizerTest.tokenizerJson(BpeTokenizerTest.MERGES, null, "", BpeTokenizerTest.ROBERTA_POST, false);
        write("tokenizer.json", json.replace("\"cls\":[\"<s>\",10]", "\"cls\":[\"<s>\"]"));
        assertTrue(fails(dir).getMessage().endsWith("tokenizer.json: post_processor.cls must be a pair [token, id], not"
                + " [\"<s>\"]; repair or re-download the file"), fails(dir).getMessage());
        write("tokenizer.json", json.replace("\"b\":1,", "\"b\":-1,"));
        assertTrue(fails(dir).getMessage().endsWith("tokenizer.json: model.vocab.b is -1; it must be between 0 and 16777215;"
                + " repair or re-download the file"), fails(dir).getMessage());
        write("tokenizer.json", json.replace("\"normalizer\":null", "\"normalizer\":{\"type\":[1]}"));
        assertTrue(fails(dir).getMessage().endsWith("tokenizer.json: normalizer.type must be a string, not [1];"
                + " repair or re-download the file"), fails(dir).getMessage());
        Files.delete(dir.resolve("tokenizer.json"));
        write("vocab.json", BpeTokenizerTest.VOCAB);
        write("merges.txt", MERGES_TXT);
        write("config.json", "{\"model_type\":\"bart\"}");
        write("tokenizer_config.json", "{\"bos_token\":{\"content\":null}}");
        assertTrue(fails(dir).getMessage().endsWith("tokenizer_config.json: has no bos_token.content; repair or re-download"
                + " the file"), fails(dir).getMessage());
    }
}
