package elattn.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checkpoint folders for CLI tests: the committed HF oracle models (vocabulary 512, 64 positions)
 * with a byte-level BPE {@code tokenizer.json} of exactly 512 tokens written next to them, so the
 * text paths (encode, decode) run end to end. The texts these models write are meaningless; the
 * tests check the CLI, and the token ids against HF where the oracle has them.
 */
final class TinyCheckpoints {
    static final Path ORACLE = Path.of("src/test/resources/oracle");
    private static final String FIRST = "etaoinsrhl";
    private static final String SECOND = "etaoinsrhldcumfpgwybvkxjqz";

    private TinyCheckpoints() {
    }

    /** The oracle BART (encoder-decoder) with a BART-style tokenizer: {@code <s> <pad> </s> <unk>}, bytes, merges. */
    static Path bart(Path dir) throws IOException {
        copy(ORACLE.resolve("bart"), dir);
        List<String> vocab = new ArrayList<>(List.of("<s>", "<pad>", "</s>", "<unk>"));
        JsonObject post = new JsonObject();
        post.addProperty("type", "RobertaProcessing");
        post.add("sep", pair("</s>", 2));
        post.add("cls", pair("<s>", 0));
        post.addProperty("trim_offsets", true);
        post.addProperty("add_prefix_space", false);
        write(dir, vocab, 512 - 4 - 256, List.of(), post);
        return dir;
    }

    /** The oracle GPT-2 (decoder-only) with a GPT-2-style tokenizer: bytes, merges, {@code <|endoftext|>} = 511. */
    static Path gpt2(Path dir) throws IOException {
        copy(ORACLE.resolve("gpt2"), dir);
        write(dir, new ArrayList<>(), 511 - 256, List.of("<|endoftext|>"), null);
        return dir;
    }

    private static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        for (String f : new String[]{"config.json", "generation_config.json", "model.safetensors"}) {
            Files.copy(from.resolve(f), to.resolve(f));
        }
    }

    private static JsonArray pair(String token, int id) {
        JsonArray a = new JsonArray();
        a.add(token);
        a.add(id);
        return a;
    }

    /**
     * Writes tokenizer.json: {@code leading} special tokens, the 256 byte symbols, {@code merges}
     * two-letter merges, then {@code trailing} special tokens.
     */
    private static void write(Path dir, List<String> leading, int merges, List<String> trailing,
            JsonObject post) throws IOException {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        JsonArray added = new JsonArray();
        for (String s : leading) {
            added.add(special(s, vocab.size()));
            vocab.put(s, vocab.size());
        }
        for (char c : byteSymbols()) {
            vocab.put(String.valueOf(c), vocab.size());
        }
        JsonArray mergeList = new JsonArray();
        outer:
        for (char a : FIRST.toCharArray()) {
            for (char b : SECOND.toCharArray()) {
                if (mergeList.size() == merges) {
                    break outer;
                }
                mergeList.add(a + " " + b);
                vocab.put("" + a + b, vocab.size());
            }
        }
        for (String s : trailing) {
            added.add(special(s, vocab.size()));
            vocab.put(s, vocab.size());
        }
        if (vocab.size() != 512) {
            throw new IllegalStateException("tiny vocabulary has " + vocab.size() + " tokens, not 512");
        }
        JsonObject model = new JsonObject();
        model.addProperty("type", "BPE");
        model.add("dropout", null);
        model.add("unk_token", null);
        model.addProperty("continuing_subword_prefix", "");
        model.addProperty("end_of_word_suffix", "");
        model.addProperty("fuse_unk", false);
        model.addProperty("byte_fallback", false);
        JsonObject v = new JsonObject();
        vocab.forEach(v::addProperty);
        model.add("vocab", v);
        model.add("merges", mergeList);
        JsonObject byteLevel = new JsonObject();
        byteLevel.addProperty("type", "ByteLevel");
        byteLevel.addProperty("add_prefix_space", false);
        byteLevel.addProperty("trim_offsets", true);
        byteLevel.addProperty("use_regex", true);
        JsonObject root = new JsonObject();
        root.addProperty("version", "1.0");
        root.add("truncation", null);
        root.add("padding", null);
        root.add("added_tokens", added);
        root.add("normalizer", null);
        root.add("pre_tokenizer", byteLevel);
        root.add("post_processor", post != null ? post : byteLevel);
        root.add("decoder", byteLevel);
        root.add("model", model);
        Files.writeString(dir.resolve("tokenizer.json"), new com.google.gson.GsonBuilder().serializeNulls().create()
                .toJson(root));
    }

    private static JsonObject special(String content, int id) {
        JsonObject o = new JsonObject();
        o.addProperty("id", id);
        o.addProperty("content", content);
        o.addProperty("single_word", false);
        o.addProperty("lstrip", false);
        o.addProperty("rstrip", false);
        o.addProperty("normalized", false);
        o.addProperty("special", true);
        return o;
    }

    /** GPT-2's bytes_to_unicode: printable bytes map to themselves, the others to U+0100 onwards. */
    private static char[] byteSymbols() {
        char[] out = new char[256];
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            out[b] = printable ? (char) b : (char) (256 + n++);
        }
        return out;
    }
}
