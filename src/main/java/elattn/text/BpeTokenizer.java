package elattn.text;

import elattn.io.OneLine;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * HF byte-level BPE, the tokenizer of GPT-2, BART and RoBERTa, token-identical to HF
 * {@code tokenizers}: added tokens are split out of the text, the rest is pre-tokenized (GPT-2's
 * pattern), each piece is turned into its UTF-8 bytes in the byte-level alphabet and encoded by
 * BPE, and the post-processor wraps the result ({@code <s> X </s>} for BART, nothing for GPT-2).
 * Our own implementation rather than a native binding; docs/tokenizer.md says why.
 *
 * <p>Instances are immutable apart from an internal cache and are safe to use from many threads.
 * Load one with {@link #open(Path)} (a checkpoint folder), {@link #fromTokenizerJson(Path)} or
 * {@link #fromVocabAndMerges(Path, Path, Style)}.
 */
public final class BpeTokenizer {
    /**
     * Which special tokens and post-processing a {@code vocab.json} + {@code merges.txt} pair gets,
     * since those files do not say: as transformers' {@code GPT2Tokenizer} and {@code BartTokenizer} do.
     */
    public enum Style {
        /** {@code <|endoftext|>} as the only special token (bos, eos and unk), nothing added around the text. */
        GPT2,
        /**
         * {@code <s> <pad> </s> <unk> <mask>}, text wrapped as {@code <s> X </s>}. As in transformers
         * 5, {@code <mask>} does not take the space before it here; BART's own tokenizer.json says
         * that it does ({@code lstrip}), and that file wins when present.
         */
        BART
    }

    /** The names of the special tokens a model uses; null where it has none. */
    record SpecialNames(String bos, String eos, String pad, String unk) {
    }

    private final Bpe bpe;
    private final List<PreTokenizer> preTokenizers;
    private final AddedVocabulary addedVocabulary;
    private final int[] prefix;
    private final int[] suffix;
    private final String[] idToToken;
    private final boolean[] special;
    private final Map<String, Integer> tokenToId;
    private final Integer bos;
    private final Integer eos;
    private final Integer pad;
    private final Integer unk;

    /**
     * @param prefix ids the post-processor puts before the text when special tokens are added
     * @param suffix ids it puts after
     */
    BpeTokenizer(Bpe bpe, List<PreTokenizer> preTokenizers, List<AddedToken> added, int[] prefix, int[] suffix,
            SpecialNames names) {
        this.bpe = bpe;
        this.preTokenizers = List.copyOf(preTokenizers);
        this.addedVocabulary = new AddedVocabulary(added);
        this.prefix = prefix.clone();
        this.suffix = suffix.clone();
        Map<String, Integer> all = new HashMap<>(bpe.vocab());
        int size = 0;
        for (int id : all.values()) {
            size = Math.max(size, id + 1);
        }
        for (AddedToken t : added) {
            all.put(t.content(), t.id());
            size = Math.max(size, t.id() + 1);
        }
        idToToken = new String[size];
        special = new boolean[size];
        for (Map.Entry<String, Integer> e : bpe.vocab().entrySet()) {
            idToToken[e.getValue()] = e.getKey();
        }
        for (AddedToken t : added) {
            idToToken[t.id()] = t.content();
            special[t.id()] |= t.special();
        }
        tokenToId = Collections.unmodifiableMap(all);
        bos = idOf(names.bos());
        eos = idOf(names.eos());
        pad = idOf(names.pad());
        unk = idOf(names.unk());
    }

    private Integer idOf(String token) {
        if (token == null) {
            return null;
        }
        Integer id = tokenToId.get(token);
        if (id == null) {
            throw new IllegalArgumentException("special token '" + OneLine.brief(token) + "' is not in the vocabulary");
        }
        return id;
    }

    /**
     * Opens the tokenizer of a HF checkpoint folder: {@code tokenizer.json} if present, else
     * {@code vocab.json} + {@code merges.txt}, with the special tokens from
     * {@code tokenizer_config.json}/{@code special_tokens_map.json} and the style from
     * {@code config.json}'s {@code model_type}.
     *
     * @throws TokenizerException naming the folder and the files looked for, or the corrupt file
     */
    public static BpeTokenizer open(Path folder) {
        return TokenizerFiles.open(folder);
    }

    /** Loads a HF {@code tokenizer.json} (byte-level BPE). */
    public static BpeTokenizer fromTokenizerJson(Path file) {
        return TokenizerFiles.fromTokenizerJson(file, null);
    }

    /** Loads the older {@code vocab.json} + {@code merges.txt} pair with the special tokens of {@code style}. */
    public static BpeTokenizer fromVocabAndMerges(Path vocab, Path merges, Style style) {
        return TokenizerFiles.fromVocabAndMerges(vocab, merges, style, null);
    }

    /**
     * The ids of {@code text}; with {@code addSpecialTokens} wrapped as the model expects (BART:
     * {@code <s> X </s>}; GPT-2: nothing added), as HF's {@code encode(text, add_special_tokens)}.
     */
    public int[] encode(String text, boolean addSpecialTokens) {
        IntList ids = new IntList(text.length() / 3 + 4);
        if (addSpecialTokens) {
            ids.addAll(prefix);
        }
        List<String> words = new ArrayList<>();
        for (AddedVocabulary.Piece piece : addedVocabulary.split(text)) {
            if (piece.id() >= 0) {
                ids.add(piece.id());
                continue;
            }
            words.clear();
            words.add(piece.text());
            for (PreTokenizer step : preTokenizers) {
                List<String> pieces = List.copyOf(words);
                words.clear();
                for (String p : pieces) {
                    step.split(p, words);
                }
            }
            for (String word : words) {
                bpe.encodeWord(ByteLevel.encode(word), ids::add);
            }
        }
        if (addSpecialTokens) {
            ids.addAll(suffix);
        }
        return ids.toArray();
    }

    /**
     * The text of {@code ids}, as HF's {@code decode}: tokens back to bytes, bytes to UTF-8 text with
     * U+FFFD for each ill-formed sequence (a token sequence cut inside a character). Ids outside the
     * vocabulary are skipped, as HF does (a model's embedding table may be larger than its vocabulary).
     */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(ids.length * 4);
        for (int id : ids) {
            if (id < 0 || id >= idToToken.length || idToToken[id] == null || skipSpecialTokens && special[id]) {
                continue;
            }
            ByteLevel.appendBytes(idToToken[id], bytes);
        }
        return ByteLevel.decodeLossy(bytes.toByteArray());
    }

    /** The id of a token written in the byte-level alphabet ({@code "Ġthe"}), if it is in the vocabulary. */
    public OptionalInt tokenToId(String token) {
        Integer id = tokenToId.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** The token of {@code id} in the byte-level alphabet, or null if no token has that id. */
    public String idToToken(int id) {
        return id >= 0 && id < idToToken.length ? idToToken[id] : null;
    }

    /** One more than the largest id, counting added tokens (50257 for GPT-2, 50265 for BART). */
    public int vocabSize() {
        return idToToken.length;
    }

    /** Whether {@code id} is a special token (left out by {@code decode(ids, true)}). */
    public boolean isSpecial(int id) {
        return id >= 0 && id < special.length && special[id];
    }

    public OptionalInt bosId() {
        return optional(bos);
    }

    public OptionalInt eosId() {
        return optional(eos);
    }

    public OptionalInt padId() {
        return optional(pad);
    }

    public OptionalInt unkId() {
        return optional(unk);
    }

    private static OptionalInt optional(Integer id) {
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** A growable int array, to collect ids without boxing. */
    private static final class IntList {
        private int[] a;
        private int n;

        IntList(int capacity) {
            a = new int[Math.max(capacity, 4)];
        }

        void add(int v) {
            if (n == a.length) {
                a = java.util.Arrays.copyOf(a, n * 2);
            }
            a[n++] = v;
        }

        void addAll(int[] vs) {
            for (int v : vs) {
                add(v);
            }
        }

        int[] toArray() {
            return java.util.Arrays.copyOf(a, n);
        }
    }
}
