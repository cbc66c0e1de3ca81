package elattn.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * BPE on a toy vocabulary small enough to work out every expected id by hand, written as the
 * tokenizer.json HF would save; added and special tokens; post-processing.
 */
class BpeTokenizerTest {
    @TempDir
    Path dir;

    // ids: a=0 b=1 c=2 Ġ=3 ab=4 bc=5 abc=6 Ġa=7 Ġab=8 <|endoftext|>=9 <s>=10 </s>=11 <mask>=12 <unk>=13
    static final String VOCAB = """
            {"a":0,"b":1,"c":2,"\u0120":3,"ab":4,"bc":5,"abc":6,"\u0120a":7,"\u0120ab":8,"<|endoftext|>":9,
             "<s>":10,"</s>":11,"<mask>":12,"<unk>":13}""";
    // ranks: (a,b)=0 (b,c)=1 (ab,c)=2 (Ġ,a)=3 (Ġa,b)=4
    static final String MERGES = "[\"a b\", \"b c\", \"ab c\", \"\u0120 a\", \"\u0120a b\"]";
    static final String MERGES_AS_PAIRS = "[[\"a\",\"b\"],[\"b\",\"c\"],[\"ab\",\"c\"],[\"\u0120\",\"a\"],[\"\u0120a\",\"b\"]]";

    static String tokenizerJson(String merges, String unk, String addedTokens, String postProcessor, boolean prefixSpace) {
        return """
                {"version":"1.0","truncation":null,"padding":null,
                 "added_tokens":[%s],
                 "normalizer":null,
                 "pre_tokenizer":{"type":"ByteLevel","add_prefix_space":%s,"trim_offsets":true,"use_regex":true},
                 "post_processor":%s,
                 "decoder":{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":true,"use_regex":true},
                 "model":{"type":"BPE","dropout":null,"unk_token":%s,"continuing_subword_prefix":"","end_of_word_suffix":"",
                          "fuse_unk":false,"byte_fallback":false,"vocab":%s,"merges":%s}}
                """.formatted(addedTokens, prefixSpace, postProcessor, unk == null ? "null" : "\"" + unk + "\"", VOCAB, merges);
    }

    static String added(int id, String content, boolean lstrip) {
        return """
                {"id":%d,"content":"%s","single_word":false,"lstrip":%s,"rstrip":false,"normalized":false,"special":true}"""
                .formatted(id, content, lstrip);
    }

    static final String GPT2_POST = "{\"type\":\"ByteLevel\",\"add_prefix_space\":true,\"trim_offsets\":false,\"use_regex\":true}";
    static final String ROBERTA_POST = "{\"type\":\"RobertaProcessing\",\"sep\":[\"</s>\",11],\"cls\":[\"<s>\",10],"
            + "\"trim_offsets\":true,\"add_prefix_space\":false}";

    BpeTokenizer load(String json) throws IOException {
        Path f = dir.resolve("tokenizer.json");
        Files.writeString(f, json);
        return BpeTokenizer.fromTokenizerJson(f);
    }

    BpeTokenizer gpt2Like() throws IOException {
        return load(tokenizerJson(MERGES, null, added(9, "<|endoftext|>", false), GPT2_POST, false));
    }

    @Test
    void mergesGoByRankNotByPosition() throws IOException {
        BpeTokenizer t = gpt2Like();
        assertArrayEquals(new int[] {6}, t.encode("abc", true)); // a b c -> ab c -> abc
        assertArrayEquals(new int[] {5, 4}, t.encode("bcab", true)); // b c a b -> b c ab -> bc ab
        assertArrayEquals(new int[] {3, 6}, t.encode(" abc", true)); // Ġ a b c -> Ġ ab c -> Ġ abc: (Ġ,a) ranks after (a,b)
        assertArrayEquals(new int[] {4, 3, 4}, t.encode("ab ab", true)); // words "ab", "Ġab" -> ab | Ġ ab
        assertArrayEquals(new int[] {7}, t.encode(" a", true));
        assertArrayEquals(new int[] {0, 0, 0}, t.encode("aaa", true));
        assertArrayEquals(new int[] {}, t.encode("", true));
    }

    @Test
    void mergesMayBeGivenAsPairs() throws IOException {
        BpeTokenizer t = load(tokenizerJson(MERGES_AS_PAIRS, null, added(9, "<|endoftext|>", false), GPT2_POST, false));
        assertArrayEquals(new int[] {3, 6}, t.encode(" abc", true));
        assertArrayEquals(new int[] {5, 4}, t.encode("bcab", false));
    }

    @Test
    void charactersOutsideTheVocabularyAreDroppedWithoutUnkAndMappedWithIt() throws IOException {
        assertArrayEquals(new int[] {4, 4}, gpt2Like().encode("abdab", false)); // one word: a b d a b, d dropped
        BpeTokenizer withUnk = load(tokenizerJson(MERGES, "<unk>", added(13, "<unk>", false), GPT2_POST, false));
        assertArrayEquals(new int[] {4, 13, 4}, withUnk.encode("abdab", false));
        assertEquals(OptionalInt.of(13), withUnk.unkId());
    }

    @Test
    void specialTokensAreSplitOutBeforePreTokenization() throws IOException {
        BpeTokenizer t = gpt2Like();
        assertArrayEquals(new int[] {6, 9, 6}, t.encode("abc<|endoftext|>abc", true));
        assertArrayEquals(new int[] {3, 9, 3, 6}, t.encode(" <|endoftext|> abc", true));
        assertArrayEquals(new int[] {9, 9}, t.encode("<|endoftext|><|endoftext|>", true));
        assertArrayEquals(new int[] {6, 9, 6}, t.encode("abc<|endoftext|>abc", false)); // still matched without post-processing
        assertEquals("abc<|endoftext|>abc", t.decode(new int[] {6, 9, 6}, false));
        assertEquals("abcabc", t.decode(new int[] {6, 9, 6}, true));
        assertTrue(t.isSpecial(9));
        assertFalse(t.isSpecial(6));
        assertEquals(OptionalInt.of(9), t.bosId());
        assertEquals(OptionalInt.of(9), t.eosId());
        assertEquals(OptionalInt.empty(), t.padId());
    }

    @Test
    void robertaProcessingWrapsTheTextAndLstripTakesTheSpaceBeforeMask() throws IOException {
        String addedTokens = String.join(",", added(10, "<s>", false), added(11, "</s>", false), added(12, "<mask>", true));
        BpeTokenizer t = load(tokenizerJson(MERGES, null, addedTokens, ROBERTA_POST, false));
        assertArrayEquals(new int[] {10, 6, 11}, t.encode("abc", true));
        assertArrayEquals(new int[] {6}, t.encode("abc", false));
        assertArrayEquals(new int[] {10, 11}, t.encode("", true));
        assertArrayEquals(new int[] {10, 4, 12, 11}, t.encode("ab <mask>", true)); // " <mask>" is one match
        assertArrayEquals(new int[] {4, 12, 3, 4}, t.encode("ab  <mask> ab", false));
        assertEquals(OptionalInt.of(10), t.bosId());
        assertEquals(OptionalInt.of(11), t.eosId());
        assertEquals("<s>ab<mask></s>", t.decode(new int[] {10, 4, 12, 11}, false));
        assertEquals("ab", t.decode(new int[] {10, 4, 12, 11}, true));

        BpeTokenizer noLstrip = load(tokenizerJson(MERGES, null, String.join(",", added(10, "<s>", false),
                added(11, "</s>", false), added(12, "<mask>", false)), ROBERTA_POST, false));
        assertArrayEquals(new int[] {4, 3, 12}, noLstrip.encode("ab <mask>", false));
    }

    @Test
    void templateProcessingAddsItsSpecialTokens() throws IOException {
        String template = """
                {"type":"TemplateProcessing",
                 "single":[{"SpecialToken":{"id":"<s>","type_id":0}},{"Sequence":{"id":"A","type_id":0}},
                           {"SpecialToken":{"id":"</s>","type_id":0}}],
                 "pair":[],
                 "special_tokens":{"<s>":{"id":"<s>","ids":[10],"tokens":["<s>"]},
                                   "</s>":{"id":"</s>","ids":[11],"tokens":["</s>"]}}}""";
        BpeTokenizer t = load(tokenizerJson(MERGES, null, added(10, "<s>", false) + "," + added(11, "</s>", false), template, false));
        assertArrayEquals(new int[] {10, 4, 11}, t.encode("ab", true));
    }

    @Test
    void prefixSpaceMakesTheFirstWordLikeAnInnerWord() throws IOException {
        BpeTokenizer t = load(tokenizerJson(MERGES, null, added(9, "<|endoftext|>", false), GPT2_POST, true));
        assertArrayEquals(new int[] {7}, t.encode("a", false));
        assertArrayEquals(new int[] {7, 9, 7}, t.encode("a<|endoftext|>a", false)); // each piece between added tokens
    }

    @Test
    void vocabularyLookups() throws IOException {
        BpeTokenizer t = gpt2Like();
        assertEquals(14, t.vocabSize());
        assertEquals(OptionalInt.of(8), t.tokenToId("\u0120ab"));
        assertEquals(OptionalInt.empty(), t.tokenToId("zz"));
        assertEquals("\u0120ab", t.idToToken(8));
        assertNull(t.idToToken(99));
        assertEquals(" abab", t.decode(new int[] {8, 4, 99, -1}, false)); // unknown ids skipped, as HF does
    }
}
