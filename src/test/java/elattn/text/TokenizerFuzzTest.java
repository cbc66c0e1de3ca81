package elattn.text;

import com.google.gson.JsonParser;
import elattn.testing.Fuzz;
import elattn.testing.JsonMutations;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Fuzzing of {@link BpeTokenizer#open} (see {@link Fuzz}): checkpoint folders whose tokenizer files
 * ({@code tokenizer.json} in three styles, or {@code vocab.json} + {@code merges.txt}, with
 * {@code tokenizer_config.json}, {@code special_tokens_map.json} and {@code config.json}) have one
 * file mutated. Every case must give a tokenizer that encodes and decodes a text, or fail with a
 * {@link TokenizerException} of one line naming the folder or file.
 */
class TokenizerFuzzTest {
    private static final String TEMPLATE_POST = """
            {"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<s>","type_id":0}},{"Sequence":{"id":"A","type_id":0}},
             {"SpecialToken":{"id":"</s>","type_id":0}}],"pair":[],
             "special_tokens":{"<s>":{"id":"<s>","ids":[10],"tokens":["<s>"]},"</s>":{"id":"</s>","ids":[11],"tokens":["</s>"]}}}""";
    private static final String SPLIT_THEN_BYTE_LEVEL = """
            {"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":"\\\\s+"},"behavior":"Isolated","invert":false},
             {"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":false}]}""";
    private static final String TOKENIZER_CONFIG = """
            {"add_prefix_space":false,"bos_token":{"content":"<s>","lstrip":false},"eos_token":"</s>","pad_token":"<s>",
             "added_tokens_decoder":{"10":{"content":"<s>","special":true},"11":{"content":"</s>","special":true},
             "12":{"content":"<mask>","lstrip":true,"special":true}}}""";

    /** The files of each kind of folder; the first one named in a test is the one mutated. */
    private static final Map<String, Map<String, String>> FOLDERS = Map.of(
            "gpt2", Map.of("tokenizer.json", BpeTokenizerTest.tokenizerJson(BpeTokenizerTest.MERGES, null,
                    BpeTokenizerTest.added(9, "<|endoftext|>", false), BpeTokenizerTest.GPT2_POST, false)),
            "roberta", Map.of("tokenizer.json", BpeTokenizerTest.tokenizerJson(BpeTokenizerTest.MERGES_AS_PAIRS, "<unk>",
                    BpeTokenizerTest.added(10, "<s>", false) + "," + BpeTokenizerTest.added(12, "<mask>", true),
                    BpeTokenizerTest.ROBERTA_POST, true),
                    "tokenizer_config.json", TOKENIZER_CONFIG, "special_tokens_map.json", "{\"unk_token\":\"<unk>\"}"),
            "template", Map.of("tokenizer.json", BpeTokenizerTest.tokenizerJson(BpeTokenizerTest.MERGES, null, "",
                    TEMPLATE_POST, false).replace("{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":true,"
                    + "\"use_regex\":true}", SPLIT_THEN_BYTE_LEVEL)
                    .replace("\"padding\":null", "\"padding\":{\"pad_token\":\"<s>\"}")),
            "vocab", Map.of("vocab.json", BpeTokenizerTest.VOCAB, "merges.txt", TokenizerFilesTest.MERGES_TXT,
                    "config.json", "{\"model_type\":\"bart\"}", "tokenizer_config.json", TOKENIZER_CONFIG));

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"gpt2/tokenizer.json", "roberta/tokenizer.json", "template/tokenizer.json",
            "roberta/tokenizer_config.json", "roberta/special_tokens_map.json", "vocab/vocab.json", "vocab/merges.txt",
            "vocab/config.json", "vocab/tokenizer_config.json"})
    void mutatedFile(String which) throws IOException {
        String kind = which.substring(0, which.indexOf('/'));
        String name = which.substring(which.indexOf('/') + 1);
        Path dir = Files.createDirectories(tmp.resolve(kind));
        for (Map.Entry<String, String> f : FOLDERS.get(kind).entrySet()) {
            Files.writeString(dir.resolve(f.getKey()), f.getValue());
        }
        BpeTokenizer.open(dir);
        Path file = dir.resolve(name);
        String valid = FOLDERS.get(kind).get(name);
        Fuzz.Run run = Fuzz.run(dir.toString(), List.of(TokenizerException.class));
        SplittableRandom r = Fuzz.random("tokenizer " + which);
        for (int i = 0; i < Fuzz.tries(120); i++) {
            JsonMutations.Mutant m = name.endsWith(".txt")
                    ? JsonMutations.damageText(valid.getBytes(StandardCharsets.UTF_8), r)
                    : JsonMutations.mutate(JsonParser.parseString(valid).getAsJsonObject(), r);
            run.check(which + " mutant " + i + ": " + m.description(), () -> {
                Files.write(file, m.bytes());
                BpeTokenizer t = BpeTokenizer.open(dir);
                for (boolean special : new boolean[] {true, false}) {
                    t.decode(t.encode(" abc ab\u00e9 <s>c</s> <mask>  x", special), special);
                }
            });
        }
        run.assertAllEndedWell();
    }
}
