package elattn.text;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Reads the files a HF checkpoint keeps its tokenizer in: {@code tokenizer.json}, or the older
 * {@code vocab.json} + {@code merges.txt} with {@code tokenizer_config.json},
 * {@code special_tokens_map.json} and {@code config.json} saying which special tokens apply.
 * Anything it cannot honour exactly (another model type, a normalizer) is an error naming the file,
 * rather than a tokenizer that silently gives other ids than HF.
 */
final class TokenizerFiles {
    static final String TOKENIZER_JSON = "tokenizer.json";
    static final String VOCAB_JSON = "vocab.json";
    static final String MERGES_TXT = "merges.txt";
    static final String TOKENIZER_CONFIG = "tokenizer_config.json";
    static final String SPECIAL_TOKENS_MAP = "special_tokens_map.json";
    static final String CONFIG = "config.json";

    private static final String ENDOFTEXT = "<|endoftext|>";

    private TokenizerFiles() {
    }

    static BpeTokenizer open(Path folder) {
        if (!Files.isDirectory(folder)) {
            throw new TokenizerException(folder, Files.exists(folder) ? "not a folder; give the checkpoint folder"
                    : "no such folder; give a checkpoint folder with " + TOKENIZER_JSON + " or " + VOCAB_JSON + " + " + MERGES_TXT);
        }
        FolderConfig overrides = folderConfig(folder);
        Path json = folder.resolve(TOKENIZER_JSON);
        if (Files.exists(json)) {
            return fromTokenizerJson(json, overrides);
        }
        Path vocab = folder.resolve(VOCAB_JSON);
        Path merges = folder.resolve(MERGES_TXT);
        if (!Files.exists(vocab) || !Files.exists(merges)) {
            throw new TokenizerException(folder, "no tokenizer: looked for " + TOKENIZER_JSON + ", or " + VOCAB_JSON + " with "
                    + MERGES_TXT + " (" + (Files.exists(vocab) ? "only " + VOCAB_JSON : Files.exists(merges) ? "only " + MERGES_TXT
                    : "none of them") + " is there)");
        }
        return fromVocabAndMerges(vocab, merges, style(folder, vocab), overrides);
    }

    // ---- tokenizer.json ----

    static BpeTokenizer fromTokenizerJson(Path file, FolderConfig overrides) {
        JsonObject root = readJson(file);
        try {
            JsonObject model = object(root, "model", file);
            if (model.has("type") && !"BPE".equals(model.get("type").getAsString())) {
                throw new TokenizerException(file, "model type " + model.get("type").getAsString()
                        + " is not supported; only byte-level BPE (GPT-2, BART, RoBERTa) is");
            }
            if (!isNull(root, "normalizer")) {
                throw new TokenizerException(file, "normalizer " + type(root.get("normalizer"))
                        + " is not supported; byte-level BPE tokenizers have none");
            }
            if (isTrue(model, "byte_fallback") || !isNull(model, "dropout") && model.get("dropout").getAsDouble() != 0
                    || !emptyString(model, "continuing_subword_prefix") || !emptyString(model, "end_of_word_suffix")) {
                throw new TokenizerException(file, "BPE with byte_fallback, dropout, continuing_subword_prefix or "
                        + "end_of_word_suffix is not supported");
            }
            Map<String, Integer> vocab = vocab(object(model, "vocab", file));
            List<String[]> merges = new ArrayList<>();
            int line = 0;
            for (JsonElement m : array(model, "merges", file)) {
                line++;
                if (m.isJsonArray() && m.getAsJsonArray().size() == 2) {
                    merges.add(new String[] {m.getAsJsonArray().get(0).getAsString(), m.getAsJsonArray().get(1).getAsString()});
                } else {
                    merges.add(mergeLine(m.getAsString(), file, "merge " + line));
                }
            }
            String unk = isNull(model, "unk_token") ? null : model.get("unk_token").getAsString();
            Bpe bpe = bpe(file, vocab, merges, unk, isTrue(model, "fuse_unk"), isTrue(model, "ignore_merges"));

            List<AddedToken> added = new ArrayList<>();
            if (root.has("added_tokens") && root.get("added_tokens").isJsonArray()) {
                for (JsonElement e : root.getAsJsonArray("added_tokens")) {
                    added.add(addedToken(e.getAsJsonObject(), e.getAsJsonObject().get("id").getAsInt()));
                }
            }
            List<PreTokenizer> pre = new ArrayList<>();
            preTokenizer(root.get("pre_tokenizer"), pre, file);
            if (pre.isEmpty() || !(pre.getLast() instanceof PreTokenizer.ByteLevelSplit)) {
                throw new TokenizerException(file, "pre_tokenizer must end with ByteLevel; this is "
                        + type(root.get("pre_tokenizer")));
            }
            JsonElement decoder = root.get("decoder");
            if (!"ByteLevel".equals(type(decoder))) {
                throw new TokenizerException(file, "decoder " + type(decoder) + " is not supported; only ByteLevel is");
            }
            Map<String, Integer> ids = new LinkedHashMap<>(vocab);
            added.forEach(t -> ids.put(t.content(), t.id()));
            List<Integer> prefix = new ArrayList<>();
            List<Integer> suffix = new ArrayList<>();
            String[] clsSep = new String[2];
            postProcessor(root.get("post_processor"), prefix, suffix, clsSep, ids, file);

            String pad = null;
            if (root.get("padding") != null && root.get("padding").isJsonObject()
                    && root.getAsJsonObject("padding").has("pad_token")) {
                pad = root.getAsJsonObject("padding").get("pad_token").getAsString();
            }
            boolean gpt2 = ids.containsKey(ENDOFTEXT);
            BpeTokenizer.SpecialNames defaults = new BpeTokenizer.SpecialNames(
                    clsSep[0] != null ? clsSep[0] : gpt2 ? ENDOFTEXT : null,
                    clsSep[1] != null ? clsSep[1] : gpt2 ? ENDOFTEXT : null,
                    pad != null ? pad : ids.containsKey("<pad>") ? "<pad>" : null,
                    unk != null ? unk : ids.containsKey("<unk>") ? "<unk>" : gpt2 ? ENDOFTEXT : null);
            return build(file, bpe, pre, added, prefix, suffix, merge(defaults, overrides));
        } catch (IllegalStateException | UnsupportedOperationException | NullPointerException | ClassCastException
                | NumberFormatException e) {
            throw new TokenizerException(file, "not a valid tokenizer.json: " + e.getMessage(), e);
        }
    }

    private static void preTokenizer(JsonElement e, List<PreTokenizer> out, Path file) {
        String type = type(e);
        switch (type) {
            case "Sequence" -> {
                for (JsonElement step : e.getAsJsonObject().getAsJsonArray("pretokenizers")) {
                    preTokenizer(step, out, file);
                }
            }
            case "ByteLevel" -> {
                JsonObject o = e.getAsJsonObject();
                out.add(new PreTokenizer.ByteLevelSplit(isTrue(o, "add_prefix_space"), !o.has("use_regex") || isTrue(o, "use_regex")));
            }
            case "Split" -> {
                JsonObject o = e.getAsJsonObject();
                String behavior = o.get("behavior").getAsString();
                if (isTrue(o, "invert") || !behavior.equals("Isolated") && !behavior.equals("Removed")) {
                    throw new TokenizerException(file, "Split pre-tokenizer with behavior " + behavior
                            + (isTrue(o, "invert") ? " and invert" : "") + " is not supported; Isolated and Removed are");
                }
                JsonObject p = o.getAsJsonObject("pattern");
                Pattern pattern;
                try {
                    pattern = p.has("Regex") ? Pattern.compile(p.get("Regex").getAsString(), Pattern.UNICODE_CHARACTER_CLASS)
                            : Pattern.compile(Pattern.quote(p.get("String").getAsString()));
                } catch (PatternSyntaxException x) {
                    throw new TokenizerException(file, "Split pattern is not a regex Java can run: " + x.getMessage(), x);
                }
                out.add(new PreTokenizer.RegexSplit(pattern, behavior.equals("Removed")));
            }
            default -> throw new TokenizerException(file, "pre_tokenizer " + type
                    + " is not supported; ByteLevel (alone or after Split in a Sequence) is");
        }
    }

    /** Collects what the post-processor adds around one sequence, and the names of Roberta's cls and sep. */
    private static void postProcessor(JsonElement e, List<Integer> prefix, List<Integer> suffix, String[] clsSep,
            Map<String, Integer> ids, Path file) {
        String type = type(e);
        switch (type) {
            case "null", "ByteLevel" -> {
            }
            case "Sequence" -> {
                for (JsonElement step : e.getAsJsonObject().getAsJsonArray("processors")) {
                    postProcessor(step, prefix, suffix, clsSep, ids, file);
                }
            }
            case "RobertaProcessing", "BertProcessing" -> {
                JsonArray cls = e.getAsJsonObject().getAsJsonArray("cls");
                JsonArray sep = e.getAsJsonObject().getAsJsonArray("sep");
                clsSep[0] = cls.get(0).getAsString();
                clsSep[1] = sep.get(0).getAsString();
                prefix.add(cls.get(1).getAsInt());
                suffix.add(sep.get(1).getAsInt());
            }
            case "TemplateProcessing" -> {
                JsonObject o = e.getAsJsonObject();
                JsonObject specials = o.getAsJsonObject("special_tokens");
                List<Integer> target = prefix;
                for (JsonElement piece : o.getAsJsonArray("single")) {
                    JsonObject p = piece.getAsJsonObject();
                    if (p.has("Sequence")) {
                        target = suffix;
                    } else {
                        String name = p.getAsJsonObject("SpecialToken").get("id").getAsString();
                        JsonObject spec = specials.getAsJsonObject(name);
                        if (spec == null) {
                            throw new TokenizerException(file, "TemplateProcessing uses special token " + name
                                    + ", which its special_tokens do not define");
                        }
                        for (JsonElement id : spec.getAsJsonArray("ids")) {
                            target.add(id.getAsInt());
                        }
                    }
                }
            }
            default -> throw new TokenizerException(file, "post_processor " + type
                    + " is not supported; RobertaProcessing, ByteLevel and TemplateProcessing are");
        }
    }

    // ---- vocab.json + merges.txt ----

    static BpeTokenizer fromVocabAndMerges(Path vocabFile, Path mergesFile, BpeTokenizer.Style style, FolderConfig overrides) {
        Map<String, Integer> vocab;
        try {
            vocab = vocab(readJson(vocabFile));
        } catch (IllegalStateException | UnsupportedOperationException | NumberFormatException e) {
            throw new TokenizerException(vocabFile, "not a valid vocab.json (an object of token to id): " + e.getMessage(), e);
        }
        List<String[]> merges = new ArrayList<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(mergesFile, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new TokenizerException(mergesFile, "no such file");
        } catch (IOException e) {
            throw new TokenizerException(mergesFile, "cannot read: " + e, e);
        }
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isEmpty() || i == 0 && line.startsWith("#version")) {
                continue;
            }
            merges.add(mergeLine(line, mergesFile, "line " + (i + 1)));
        }
        JsonObject config = overrides == null ? null : overrides.tokenizerConfig();
        boolean addPrefixSpace = config != null && isTrue(config, "add_prefix_space");
        List<AddedToken> added = new ArrayList<>();
        int next = vocab.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        if (config != null && config.has("added_tokens_decoder")) {
            for (Map.Entry<String, JsonElement> e : config.getAsJsonObject("added_tokens_decoder").entrySet()) {
                added.add(addedToken(e.getValue().getAsJsonObject(), Integer.parseInt(e.getKey())));
            }
        } else {
            // Missing ones get the next ids in the order of transformers' special token attributes
            // (bos, eos, unk, pad, mask), as its tokenizer appends them.
            List<String> names = style == BpeTokenizer.Style.GPT2 ? List.of(ENDOFTEXT)
                    : List.of("<s>", "</s>", "<unk>", "<pad>", "<mask>");
            for (String name : names) {
                Integer id = vocab.get(name);
                if (id == null) {
                    id = next++;
                }
                added.add(AddedToken.special(name, id));
            }
        }
        Map<String, Integer> ids = new LinkedHashMap<>(vocab);
        added.forEach(t -> ids.put(t.content(), t.id()));
        Bpe bpe = bpe(vocabFile, vocab, merges, null, false, false);
        List<PreTokenizer> pre = List.of(new PreTokenizer.ByteLevelSplit(addPrefixSpace, true));
        BpeTokenizer.SpecialNames defaults;
        List<Integer> prefix = new ArrayList<>();
        List<Integer> suffix = new ArrayList<>();
        if (style == BpeTokenizer.Style.GPT2) {
            defaults = new BpeTokenizer.SpecialNames(ENDOFTEXT, ENDOFTEXT, null, ENDOFTEXT);
        } else {
            defaults = new BpeTokenizer.SpecialNames("<s>", "</s>", "<pad>", "<unk>");
            prefix.add(idIn(ids, "<s>", vocabFile));
            suffix.add(idIn(ids, "</s>", vocabFile));
        }
        return build(vocabFile, bpe, pre, added, prefix, suffix, merge(defaults, overrides));
    }

    private static int idIn(Map<String, Integer> ids, String token, Path file) {
        Integer id = ids.get(token);
        if (id == null) {
            throw new TokenizerException(file, "has no " + token + " token");
        }
        return id;
    }

    /** The style of a folder without tokenizer.json: from config.json's model_type, else from the vocabulary. */
    private static BpeTokenizer.Style style(Path folder, Path vocab) {
        Path configFile = folder.resolve(CONFIG);
        if (Files.exists(configFile)) {
            JsonObject config = readJson(configFile);
            String type = config.has("model_type") ? config.get("model_type").getAsString() : "(none)";
            return switch (type) {
                case "gpt2" -> BpeTokenizer.Style.GPT2;
                case "bart", "roberta" -> BpeTokenizer.Style.BART;
                default -> throw new TokenizerException(configFile, "model_type " + type + " has no known vocab.json + "
                        + "merges.txt convention (gpt2, bart and roberta do); save the tokenizer as tokenizer.json");
            };
        }
        String text;
        try {
            text = Files.readString(vocab, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new TokenizerException(vocab, "cannot read: " + e, e);
        }
        if (text.contains("\"" + ENDOFTEXT + "\"")) {
            return BpeTokenizer.Style.GPT2;
        }
        if (text.contains("\"<s>\"") && text.contains("\"</s>\"")) {
            return BpeTokenizer.Style.BART;
        }
        throw new TokenizerException(folder, "no " + CONFIG + " to say the model type, and " + VOCAB_JSON
                + " has neither <|endoftext|> (GPT-2) nor <s> and </s> (BART)");
    }

    // ---- special token names from tokenizer_config.json and special_tokens_map.json ----

    /** Special token names a folder's config files set (null where unset), and the tokenizer config itself. */
    record FolderConfig(String bos, String eos, String pad, String unk, JsonObject tokenizerConfig) {
    }

    private static FolderConfig folderConfig(Path folder) {
        JsonObject config = null;
        String[] names = new String[4];
        for (String f : List.of(TOKENIZER_CONFIG, SPECIAL_TOKENS_MAP)) {
            Path file = folder.resolve(f);
            if (!Files.exists(file)) {
                continue;
            }
            JsonObject o = readJson(file);
            if (f.equals(TOKENIZER_CONFIG)) {
                config = o;
            }
            String[] keys = {"bos_token", "eos_token", "pad_token", "unk_token"};
            for (int i = 0; i < keys.length; i++) {
                JsonElement v = o.get(keys[i]);
                if (v != null && v.isJsonPrimitive()) {
                    names[i] = v.getAsString();
                } else if (v != null && v.isJsonObject() && v.getAsJsonObject().has("content")) {
                    names[i] = v.getAsJsonObject().get("content").getAsString();
                }
            }
        }
        return new FolderConfig(names[0], names[1], names[2], names[3], config);
    }

    private static BpeTokenizer.SpecialNames merge(BpeTokenizer.SpecialNames defaults, FolderConfig overrides) {
        if (overrides == null) {
            return defaults;
        }
        return new BpeTokenizer.SpecialNames(
                overrides.bos() != null ? overrides.bos() : defaults.bos(),
                overrides.eos() != null ? overrides.eos() : defaults.eos(),
                overrides.pad() != null ? overrides.pad() : defaults.pad(),
                overrides.unk() != null ? overrides.unk() : defaults.unk());
    }

    // ---- helpers ----

    private static BpeTokenizer build(Path file, Bpe bpe, List<PreTokenizer> pre, List<AddedToken> added, List<Integer> prefix,
            List<Integer> suffix, BpeTokenizer.SpecialNames names) {
        try {
            return new BpeTokenizer(bpe, pre, added, prefix.stream().mapToInt(Integer::intValue).toArray(),
                    suffix.stream().mapToInt(Integer::intValue).toArray(), names);
        } catch (IllegalArgumentException e) {
            throw new TokenizerException(file, e.getMessage(), e);
        }
    }

    private static Bpe bpe(Path file, Map<String, Integer> vocab, List<String[]> merges, String unk, boolean fuseUnk,
            boolean ignoreMerges) {
        try {
            return new Bpe(vocab, merges, unk, fuseUnk, ignoreMerges);
        } catch (IllegalArgumentException e) {
            throw new TokenizerException(file, e.getMessage(), e);
        }
    }

    private static AddedToken addedToken(JsonObject o, int id) {
        return new AddedToken(o.get("content").getAsString(), id, isTrue(o, "special"), isTrue(o, "lstrip"),
                isTrue(o, "rstrip"), isTrue(o, "single_word"), !o.has("normalized") || isTrue(o, "normalized"));
    }

    private static String[] mergeLine(String line, Path file, String where) {
        String[] parts = line.split(" ", -1);
        if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw new TokenizerException(file, where + " '" + line + "' is not two tokens separated by one space");
        }
        return parts;
    }

    private static Map<String, Integer> vocab(JsonObject o) {
        Map<String, Integer> vocab = new LinkedHashMap<>(o.size() * 2);
        for (Map.Entry<String, JsonElement> e : o.entrySet()) {
            vocab.put(e.getKey(), e.getValue().getAsInt());
        }
        return vocab;
    }

    private static JsonObject readJson(Path file) {
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            JsonElement e = JsonParser.parseReader(r);
            if (!e.isJsonObject()) {
                throw new TokenizerException(file, "corrupt: expected a JSON object");
            }
            return e.getAsJsonObject();
        } catch (NoSuchFileException e) {
            throw new TokenizerException(file, "no such file");
        } catch (JsonParseException e) {
            throw new TokenizerException(file, "corrupt JSON: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new TokenizerException(file, "cannot read: " + e, e);
        }
    }

    private static JsonObject object(JsonObject o, String key, Path file) {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonObject()) {
            throw new TokenizerException(file, "missing object '" + key + "'");
        }
        return e.getAsJsonObject();
    }

    private static JsonArray array(JsonObject o, String key, Path file) {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonArray()) {
            throw new TokenizerException(file, "missing array '" + key + "'");
        }
        return e.getAsJsonArray();
    }

    private static String type(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return "null";
        }
        JsonElement t = e.isJsonObject() ? e.getAsJsonObject().get("type") : null;
        return t == null ? "(without type)" : t.getAsString();
    }

    private static boolean isNull(JsonObject o, String key) {
        return !o.has(key) || o.get(key).isJsonNull();
    }

    private static boolean isTrue(JsonObject o, String key) {
        return o.has(key) && !o.get(key).isJsonNull() && o.get(key).getAsBoolean();
    }

    private static boolean emptyString(JsonObject o, String key) {
        return isNull(o, key) || o.get(key).getAsString().isEmpty();
    }
}
