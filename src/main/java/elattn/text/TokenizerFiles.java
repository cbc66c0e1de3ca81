package elattn.text;

import com.google.gson.JsonElement;
import elattn.io.JsonFields;
import elattn.io.JsonFile;
import elattn.io.OneLine;
import elattn.io.RegularFile;
import java.io.IOException;
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
    /**
     * Ids index an array of tokens, so a damaged file's id of a billion would ask for gigabytes; the
     * largest vocabularies in use have about 260,000 tokens.
     */
    static final int MAX_ID = (1 << 24) - 1;

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
        JsonFields root = fields(file);
        JsonFields model = root.object("model");
        String modelType = model.string("type", "BPE");
        if (!modelType.equals("BPE")) {
            throw new TokenizerException(file, "model type " + OneLine.brief(modelType)
                    + " is not supported; only byte-level BPE (GPT-2, BART, RoBERTa) is");
        }
        if (root.has("normalizer")) {
            throw new TokenizerException(file, "normalizer " + type(root, "normalizer")
                    + " is not supported; byte-level BPE tokenizers have none");
        }
        if (model.bool("byte_fallback", false) || model.number("dropout", 0) != 0
                || !model.string("continuing_subword_prefix", "").isEmpty() || !model.string("end_of_word_suffix", "").isEmpty()) {
            throw new TokenizerException(file, "BPE with byte_fallback, dropout, continuing_subword_prefix or "
                    + "end_of_word_suffix is not supported");
        }
        Map<String, Integer> vocab = vocab(model.object("vocab"));
        List<String[]> merges = new ArrayList<>();
        List<JsonElement> mergeList = model.array("merges");
        for (int i = 0; i < mergeList.size(); i++) {
            JsonElement m = mergeList.get(i);
            String where = model.pathOf("merges") + "[" + i + "]";
            if (m.isJsonArray()) {
                List<JsonElement> pair = model.array(m, where);
                if (pair.size() != 2) {
                    throw model.wrongType(where, "a pair of tokens", m);
                }
                merges.add(new String[] {model.string(pair.get(0), where + "[0]"), model.string(pair.get(1), where + "[1]")});
            } else {
                merges.add(mergeLine(model.string(m, where), file, "merge " + (i + 1)));
            }
        }
        String unk = model.string("unk_token", null);
        Bpe bpe = bpe(file, vocab, merges, unk, model.bool("fuse_unk", false), model.bool("ignore_merges", false));

        List<AddedToken> added = new ArrayList<>();
        if (root.has("added_tokens")) {
            List<JsonElement> tokens = root.array("added_tokens");
            for (int i = 0; i < tokens.size(); i++) {
                JsonFields t = root.object(tokens.get(i), root.pathOf("added_tokens") + "[" + i + "]");
                added.add(addedToken(t, id(t, t.get("id"), t.pathOf("id"))));
            }
        }
        List<PreTokenizer> pre = new ArrayList<>();
        if (root.has("pre_tokenizer")) {
            preTokenizer(root.object("pre_tokenizer"), pre);
        }
        if (pre.isEmpty() || !(pre.getLast() instanceof PreTokenizer.ByteLevelSplit)) {
            throw new TokenizerException(file, "pre_tokenizer must end with ByteLevel; this is " + type(root, "pre_tokenizer"));
        }
        String decoder = type(root, "decoder");
        if (!"ByteLevel".equals(decoder)) {
            throw new TokenizerException(file, "decoder " + decoder + " is not supported; only ByteLevel is");
        }
        Map<String, Integer> ids = new LinkedHashMap<>(vocab);
        added.forEach(t -> ids.put(t.content(), t.id()));
        List<Integer> prefix = new ArrayList<>();
        List<Integer> suffix = new ArrayList<>();
        String[] clsSep = new String[2];
        if (root.has("post_processor")) {
            postProcessor(root.object("post_processor"), prefix, suffix, clsSep);
        }
        String pad = root.has("padding") ? root.object("padding").string("pad_token", null) : null;
        boolean gpt2 = ids.containsKey(ENDOFTEXT);
        BpeTokenizer.SpecialNames defaults = new BpeTokenizer.SpecialNames(
                clsSep[0] != null ? clsSep[0] : gpt2 ? ENDOFTEXT : null,
                clsSep[1] != null ? clsSep[1] : gpt2 ? ENDOFTEXT : null,
                pad != null ? pad : ids.containsKey("<pad>") ? "<pad>" : null,
                unk != null ? unk : ids.containsKey("<unk>") ? "<unk>" : gpt2 ? ENDOFTEXT : null);
        return build(file, bpe, pre, added, prefix, suffix, merge(defaults, overrides));
    }

    private static void preTokenizer(JsonFields o, List<PreTokenizer> out) {
        String type = o.string("type", "(without type)");
        switch (type) {
            case "Sequence" -> {
                List<JsonElement> steps = o.array("pretokenizers");
                for (int i = 0; i < steps.size(); i++) {
                    preTokenizer(o.object(steps.get(i), o.pathOf("pretokenizers") + "[" + i + "]"), out);
                }
            }
            case "ByteLevel" -> out.add(new PreTokenizer.ByteLevelSplit(o.bool("add_prefix_space", false),
                    o.bool("use_regex", true)));
            case "Split" -> {
                String behavior = o.string("behavior");
                boolean invert = o.bool("invert", false);
                if (invert || !behavior.equals("Isolated") && !behavior.equals("Removed")) {
                    throw o.error("Split pre-tokenizer with behavior " + OneLine.brief(behavior) + (invert ? " and invert" : "")
                            + " is not supported; Isolated and Removed are");
                }
                JsonFields p = o.object("pattern");
                Pattern pattern;
                try {
                    pattern = p.has("Regex") ? Pattern.compile(p.string("Regex"), Pattern.UNICODE_CHARACTER_CLASS)
                            : Pattern.compile(Pattern.quote(p.string("String")));
                } catch (PatternSyntaxException x) {
                    throw o.error("Split pattern is not a regex Java can run: " + x.getDescription());
                }
                out.add(new PreTokenizer.RegexSplit(pattern, behavior.equals("Removed")));
            }
            default -> throw o.error("pre_tokenizer " + OneLine.brief(type) + " is not supported; ByteLevel (alone or after Split in a"
                    + " Sequence) is");
        }
    }

    /** Collects what the post-processor adds around one sequence, and the names of Roberta's cls and sep. */
    private static void postProcessor(JsonFields o, List<Integer> prefix, List<Integer> suffix, String[] clsSep) {
        String type = o.string("type", "(without type)");
        switch (type) {
            case "ByteLevel" -> {
            }
            case "Sequence" -> {
                List<JsonElement> steps = o.array("processors");
                for (int i = 0; i < steps.size(); i++) {
                    postProcessor(o.object(steps.get(i), o.pathOf("processors") + "[" + i + "]"), prefix, suffix, clsSep);
                }
            }
            case "RobertaProcessing", "BertProcessing" -> {
                clsSep[0] = tokenAndId(o, "cls", prefix);
                clsSep[1] = tokenAndId(o, "sep", suffix);
            }
            case "TemplateProcessing" -> {
                JsonFields specials = o.object("special_tokens");
                List<Integer> target = prefix;
                List<JsonElement> single = o.array("single");
                for (int i = 0; i < single.size(); i++) {
                    JsonFields piece = o.object(single.get(i), o.pathOf("single") + "[" + i + "]");
                    if (piece.has("Sequence")) {
                        target = suffix;
                        continue;
                    }
                    String name = piece.object("SpecialToken").string("id");
                    if (!specials.has(name)) {
                        throw o.error("TemplateProcessing uses special token " + OneLine.brief(name)
                                + ", which its special_tokens do not define");
                    }
                    JsonFields spec = specials.object(specials.get(name), specials.pathOf(name));
                    List<JsonElement> specIds = spec.array("ids");
                    for (int k = 0; k < specIds.size(); k++) {
                        target.add(id(spec, specIds.get(k), spec.pathOf("ids") + "[" + k + "]"));
                    }
                }
            }
            default -> throw o.error("post_processor " + OneLine.brief(type)
                    + " is not supported; RobertaProcessing, ByteLevel and TemplateProcessing are");
        }
    }

    /** Roberta's {@code "cls": ["<s>", 0]}: adds the id to {@code ids}, returns the token. */
    private static String tokenAndId(JsonFields o, String key, List<Integer> ids) {
        List<JsonElement> pair = o.array(key);
        if (pair.size() != 2) {
            throw o.wrongType(o.pathOf(key), "a pair [token, id]", o.get(key));
        }
        ids.add(id(o, pair.get(1), o.pathOf(key) + "[1]"));
        return o.string(pair.get(0), o.pathOf(key) + "[0]");
    }

    // ---- vocab.json + merges.txt ----

    static BpeTokenizer fromVocabAndMerges(Path vocabFile, Path mergesFile, BpeTokenizer.Style style, FolderConfig overrides) {
        Map<String, Integer> vocab = vocab(fields(vocabFile));
        List<String[]> merges = new ArrayList<>();
        List<String> lines = readLines(mergesFile);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isEmpty() || i == 0 && line.startsWith("#version")) {
                continue;
            }
            merges.add(mergeLine(line, mergesFile, "line " + (i + 1)));
        }
        JsonFields config = overrides == null ? null : overrides.tokenizerConfig();
        boolean addPrefixSpace = config != null && config.bool("add_prefix_space", false);
        List<AddedToken> added = new ArrayList<>();
        int next = vocab.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        if (config != null && config.has("added_tokens_decoder")) {
            JsonFields decoder = config.object("added_tokens_decoder");
            for (String key : decoder.json().keySet()) {
                int id = key.matches("[0-9]{1,9}") ? Integer.parseInt(key) : -1;
                if (id < 0 || id > MAX_ID) {
                    throw decoder.error(decoder.path() + " has the key '" + OneLine.brief(key) + "' where a token id from 0 to "
                            + MAX_ID + " belongs");
                }
                added.add(addedToken(decoder.object(decoder.get(key), decoder.pathOf(key)), id));
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
            String type = fields(configFile).string("model_type", "(none)");
            return switch (type) {
                case "gpt2" -> BpeTokenizer.Style.GPT2;
                case "bart", "roberta" -> BpeTokenizer.Style.BART;
                default -> throw new TokenizerException(configFile, "model_type " + OneLine.brief(type) + " has no known vocab.json + "
                        + "merges.txt convention (gpt2, bart and roberta do); save the tokenizer as tokenizer.json");
            };
        }
        String text = String.join("\n", readLines(vocab));
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

    /** Special token names a folder's config files set (null where unset), and the tokenizer config itself (or null). */
    record FolderConfig(String bos, String eos, String pad, String unk, JsonFields tokenizerConfig) {
    }

    private static FolderConfig folderConfig(Path folder) {
        JsonFields config = null;
        String[] names = new String[4];
        for (String f : List.of(TOKENIZER_CONFIG, SPECIAL_TOKENS_MAP)) {
            Path file = folder.resolve(f);
            if (!Files.exists(file)) {
                continue;
            }
            JsonFields o = fields(file);
            if (f.equals(TOKENIZER_CONFIG)) {
                config = o;
            }
            String[] keys = {"bos_token", "eos_token", "pad_token", "unk_token"};
            for (int i = 0; i < keys.length; i++) {
                JsonElement v = o.get(keys[i]);
                if (v != null) {
                    names[i] = v.isJsonObject() ? o.object(v, o.pathOf(keys[i])).string("content")
                            : o.string(v, o.pathOf(keys[i]));
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

    private static AddedToken addedToken(JsonFields o, int id) {
        String content = o.string("content");
        if (content.isEmpty()) {
            throw o.error(o.pathOf("content") + " is empty; an added token needs text");
        }
        return new AddedToken(content, id, o.bool("special", false), o.bool("lstrip", false), o.bool("rstrip", false),
                o.bool("single_word", false), o.bool("normalized", true));
    }

    /** {@code e}, found at {@code where} in {@code o}'s file, as a token id. */
    private static int id(JsonFields o, JsonElement e, String where) {
        return (int) o.integer(e, where, 0, MAX_ID);
    }

    private static String[] mergeLine(String line, Path file, String where) {
        String[] parts = line.split(" ", -1);
        if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw new TokenizerException(file, where + " '" + OneLine.brief(line) + "' is not two tokens separated by one space");
        }
        return parts;
    }

    private static Map<String, Integer> vocab(JsonFields o) {
        Map<String, Integer> vocab = new LinkedHashMap<>(o.json().size() * 2);
        for (String token : o.json().keySet()) {
            vocab.put(token, id(o, o.json().get(token), o.pathOf(token)));
        }
        return vocab;
    }

    private static JsonFields fields(Path file) {
        return JsonFields.of(JsonFile.readObject(file, TokenizerException::new), file, TokenizerException::new);
    }

    private static List<String> readLines(Path file) {
        RegularFile.require(file, TokenizerException::new);
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new TokenizerException(file, "no such file");
        } catch (IOException e) {
            throw new TokenizerException(file, JsonFile.cannotRead(e), e);
        }
    }

    /** The {@code type} of the object at {@code key}: "null" when there is none. */
    private static String type(JsonFields parent, String key) {
        return parent.has(key) ? OneLine.brief(parent.object(key).string("type", "(without type)")) : "null";
    }
}
