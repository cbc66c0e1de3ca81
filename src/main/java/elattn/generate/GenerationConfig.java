package elattn.generate;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import elattn.io.JsonFile;
import elattn.io.OneLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The generation parameters of HF transformers' {@code GenerationConfig} that greedy and beam
 * search use, with HF's defaults, read from a checkpoint the way {@code from_pretrained} and
 * {@code generate} read them, and overridable field by field (what {@code generate(**kwargs)}
 * does, and what the CLI's options map to).
 *
 * <p>Sources, as HF 5.x: {@code generation_config.json} when the checkpoint has one, otherwise the
 * generation keys of {@code config.json} ({@code GenerationConfig.from_model_config}). Two model
 * facts always come from {@code config.json}: {@code is_encoder_decoder} (how lengths are counted
 * and what a sequence starts with) and {@code max_position_embeddings} (GPT-2: {@code n_positions};
 * it caps HF's default length).
 *
 * <p>Token ids that HF lets be absent are {@code null}; {@code eos_token_id} and
 * {@code forced_eos_token_id} may be one id or a list and are kept as arrays ({@code null} when
 * absent). Instances are immutable; {@link #toBuilder()} and {@link #withOverrides(JsonObject)}
 * make changed copies and {@link #validate()} checks them with messages that name the parameter.
 */
public final class GenerationConfig {
    /** HF's {@code GenerationConfig().max_length}; a config still at this value gets the prompt length added. */
    public static final int HF_DEFAULT_MAX_LENGTH = 20;

    /** HF's {@code early_stopping}: {@code true}, {@code false} or {@code "never"}. */
    public enum EarlyStopping {
        /** Stop a sentence as soon as num_beams hypotheses are finished. */
        TRUE,
        /** Stop when the best running beam, normalised at its current length, cannot beat the worst finished one. */
        FALSE,
        /** As FALSE, but with a positive length penalty the running beam is normalised at max_length. */
        NEVER;

        static EarlyStopping parse(JsonElement e) {
            if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isBoolean()) {
                return e.getAsBoolean() ? TRUE : FALSE;
            }
            if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString() && e.getAsString().equals("never")) {
                return NEVER;
            }
            throw new IllegalArgumentException("early_stopping must be true, false or \"never\", not " + JsonFile.brief(e));
        }

        /** As HF writes it in JSON. */
        public JsonElement toJson() {
            return this == NEVER ? new JsonPrimitive("never") : new JsonPrimitive(this == TRUE);
        }
    }

    private final Integer maxLength;
    private final boolean maxLengthGiven;
    private final Integer maxNewTokens;
    private final int minLength;
    private final Integer minNewTokens;
    private final int numBeams;
    private final double lengthPenalty;
    private final EarlyStopping earlyStopping;
    private final int noRepeatNgramSize;
    private final int numReturnSequences;
    private final Integer bosTokenId;
    private final int[] eosTokenIds;
    private final Integer padTokenId;
    private final Integer decoderStartTokenId;
    private final Integer forcedBosTokenId;
    private final int[] forcedEosTokenIds;
    private final int[][] badWordsIds;
    private final boolean doSample;
    private final boolean encoderDecoder;
    private final Integer maxPositionEmbeddings;

    private GenerationConfig(Builder b) {
        maxLength = b.maxLength;
        maxLengthGiven = b.maxLengthGiven;
        maxNewTokens = b.maxNewTokens;
        minLength = b.minLength;
        minNewTokens = b.minNewTokens;
        numBeams = b.numBeams;
        lengthPenalty = b.lengthPenalty;
        earlyStopping = Objects.requireNonNull(b.earlyStopping, "early_stopping");
        noRepeatNgramSize = b.noRepeatNgramSize;
        numReturnSequences = b.numReturnSequences;
        bosTokenId = b.bosTokenId;
        eosTokenIds = copy(b.eosTokenIds);
        padTokenId = b.padTokenId;
        decoderStartTokenId = b.decoderStartTokenId;
        forcedBosTokenId = b.forcedBosTokenId;
        forcedEosTokenIds = copy(b.forcedEosTokenIds);
        badWordsIds = b.badWordsIds == null ? null
                : Arrays.stream(b.badWordsIds).map(int[]::clone).toArray(int[][]::new);
        doSample = b.doSample;
        encoderDecoder = b.encoderDecoder;
        maxPositionEmbeddings = b.maxPositionEmbeddings;
    }

    private static int[] copy(int[] a) {
        return a == null ? null : a.clone();
    }

    /** HF's defaults ({@code GenerationConfig()}) for a decoder-only or an encoder-decoder model. */
    public static GenerationConfig defaults(boolean encoderDecoder) {
        return new Builder().encoderDecoder(encoderDecoder).build();
    }

    /**
     * Reads a checkpoint folder: {@code config.json} (required) and {@code generation_config.json}
     * (optional; without it the generation keys of config.json are used, as HF does).
     *
     * @throws IllegalArgumentException on one line naming the file (and key) that cannot be used
     */
    public static GenerationConfig fromCheckpoint(Path dir) {
        Path modelFile = dir.resolve("config.json");
        Path generationFile = dir.resolve("generation_config.json");
        JsonObject model = readJson(modelFile);
        JsonObject generation = Files.exists(generationFile) ? readJson(generationFile) : null;
        Builder b = new Builder();
        inFile(modelFile, () -> modelFacts(b, model));
        inFile(generation != null ? generationFile : modelFile, () -> generationKeys(b, generation, model));
        return b.build();
    }

    private static JsonObject readJson(Path file) {
        return JsonFile.readObject(file, (f, problem) -> new IllegalArgumentException(OneLine.message(f + ": " + problem)));
    }

    /** Runs {@code read}, naming {@code file} in the error of a value it cannot use. */
    private static void inFile(Path file, Runnable read) {
        try {
            read.run();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(OneLine.message(file + ": " + e.getMessage() + "; correct it in the file"), e);
        }
    }

    /**
     * Builds the config from the parsed files. {@code generationConfig} may be null (no
     * generation_config.json): the generation keys of {@code modelConfig} are used instead.
     */
    public static GenerationConfig fromJson(JsonObject generationConfig, JsonObject modelConfig) {
        Builder b = new Builder();
        modelFacts(b, modelConfig);
        generationKeys(b, generationConfig, modelConfig);
        return b.build();
    }

    /** What always comes from config.json: whether the model is an encoder-decoder, and its positions. */
    private static void modelFacts(Builder b, JsonObject modelConfig) {
        JsonElement encoderDecoder = modelConfig.get("is_encoder_decoder");
        b.encoderDecoder(encoderDecoder != null && !encoderDecoder.isJsonNull() && bool("is_encoder_decoder", encoderDecoder));
        for (String key : new String[]{"max_position_embeddings", "n_positions"}) {
            if (b.maxPositionEmbeddings == null && present(modelConfig, key)) {
                b.maxPositionEmbeddings = intValue(key, modelConfig.get(key));
            }
        }
    }

    /** Every key of generation_config.json, or else the generation keys of config.json. */
    private static void generationKeys(Builder b, JsonObject generationConfig, JsonObject modelConfig) {
        JsonObject source = generationConfig != null ? generationConfig : modelConfig;
        for (Map.Entry<String, JsonElement> e : source.entrySet()) {
            if (generationConfig != null || KEYS.containsKey(e.getKey())) {
                b.apply(e.getKey(), e.getValue(), false);
            }
        }
    }

    /**
     * A copy with HF {@code generate} keyword arguments applied (names as HF spells them, e.g.
     * {@code {"num_beams": 4, "forced_bos_token_id": null}}; JSON null switches a parameter off as
     * Python {@code None} does). Unknown names are an error, so a typo is not silently ignored.
     */
    public GenerationConfig withOverrides(JsonObject kwargs) {
        Builder b = toBuilder();
        for (Map.Entry<String, JsonElement> e : kwargs.entrySet()) {
            if (!KEYS.containsKey(e.getKey())) {
                throw new IllegalArgumentException("unknown or unsupported generation parameter '" + e.getKey()
                        + "'; supported: " + String.join(", ", KEYS.keySet()));
            }
            b.apply(e.getKey(), e.getValue(), true);
        }
        return b.build();
    }

    /** HF parameter names this class understands, with what they mean. */
    private static final Map<String, String> KEYS = new LinkedHashMap<>();

    static {
        KEYS.put("max_length", "total length limit (decoder tokens incl. start, or prompt width + new tokens)");
        KEYS.put("max_new_tokens", "limit on generated tokens; wins over max_length");
        KEYS.put("min_length", "EOS is banned while the length is below this");
        KEYS.put("min_new_tokens", "EOS is banned while fewer tokens were generated; wins over min_length");
        KEYS.put("num_beams", "1 = greedy");
        KEYS.put("length_penalty", "finished hypothesis score = sum(logprobs) / generated^length_penalty");
        KEYS.put("early_stopping", "true, false or \"never\"");
        KEYS.put("no_repeat_ngram_size", "ban tokens that would repeat an n-gram of the row's history");
        KEYS.put("num_return_sequences", "best hypotheses returned per sentence");
        KEYS.put("bos_token_id", "decoder start fallback");
        KEYS.put("eos_token_id", "int or list");
        KEYS.put("pad_token_id", "fills finished rows");
        KEYS.put("decoder_start_token_id", "first decoder token of encoder-decoders");
        KEYS.put("forced_bos_token_id", "forced as the first generated token");
        KEYS.put("forced_eos_token_id", "forced as the token that reaches max_length");
        KEYS.put("bad_words_ids", "list of token sequences that are never completed");
        KEYS.put("do_sample", "must be false");
    }

    /** Names of the parameters {@link #withOverrides} accepts, in a stable order. */
    public static java.util.Set<String> parameterNames() {
        return java.util.Collections.unmodifiableSet(KEYS.keySet());
    }

    private static boolean present(JsonObject o, String key) {
        return o.has(key) && !o.get(key).isJsonNull();
    }

    private static Integer intValue(String key, JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new IllegalArgumentException(key + " must be an integer, not " + JsonFile.brief(e));
        }
        double d = e.getAsDouble();
        if (d != Math.rint(d)) {
            throw new IllegalArgumentException(key + " must be an integer, not " + JsonFile.brief(e));
        }
        if (Math.abs(d) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(key + " is " + JsonFile.brief(e) + "; it must lie between -2^31 and 2^31 - 1");
        }
        return (int) d;
    }

    private static boolean bool(String key, JsonElement e) {
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw new IllegalArgumentException(key + " must be true or false, not " + JsonFile.brief(e));
        }
        return e.getAsBoolean();
    }

    private static int[] intList(String key, JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (e.isJsonArray()) {
            JsonArray a = e.getAsJsonArray();
            int[] out = new int[a.size()];
            for (int i = 0; i < out.length; i++) {
                if (a.get(i).isJsonNull()) {
                    throw new IllegalArgumentException(key + " must list token ids, not " + JsonFile.brief(e));
                }
                out[i] = intValue(key, a.get(i));
            }
            return out;
        }
        return new int[]{intValue(key, e)};
    }

    private static int[][] intLists(String key, JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (!e.isJsonArray()) {
            throw new IllegalArgumentException(key + " must be a list of lists of token ids, not " + JsonFile.brief(e));
        }
        JsonArray a = e.getAsJsonArray();
        int[][] out = new int[a.size()][];
        for (int i = 0; i < out.length; i++) {
            if (!a.get(i).isJsonArray()) {
                throw new IllegalArgumentException(key + " must be a list of lists of token ids, not " + JsonFile.brief(e));
            }
            out[i] = intList(key, a.get(i));
        }
        return out;
    }

    /**
     * Checks the parameters as HF's {@code generate} does before it starts, with messages that name
     * the parameter and the fix.
     *
     * @throws IllegalArgumentException when the combination cannot be generated
     */
    public GenerationConfig validate() {
        if (doSample) {
            throw new IllegalArgumentException("do_sample=true (sampling) is not supported: elattn implements greedy"
                    + " and beam search only; set do_sample to false");
        }
        if (numBeams < 1) {
            throw new IllegalArgumentException("num_beams must be at least 1, not " + numBeams);
        }
        if (beamCandidates() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("num_beams " + numBeams + " is too large: beam search keeps "
                    + beamCandidates() + " candidates per sentence and step");
        }
        if (numReturnSequences < 1) {
            throw new IllegalArgumentException("num_return_sequences must be at least 1, not " + numReturnSequences);
        }
        if (numBeams == 1 && numReturnSequences > 1) {
            throw new IllegalArgumentException("greedy search (num_beams=1) returns one sequence per input; "
                    + "num_return_sequences=" + numReturnSequences + " needs num_beams >= " + numReturnSequences);
        }
        if (numReturnSequences > numBeams) {
            throw new IllegalArgumentException("num_return_sequences (" + numReturnSequences
                    + ") must be at most num_beams (" + numBeams + ")");
        }
        if (maxNewTokens != null && maxNewTokens <= 0) {
            throw new IllegalArgumentException("max_new_tokens must be greater than 0, not " + maxNewTokens);
        }
        if (maxNewTokens == null && maxLength == null) {
            throw new IllegalArgumentException("neither max_length nor max_new_tokens is set");
        }
        if (maxLength != null && maxLength < 1) {
            throw new IllegalArgumentException("max_length must be at least 1, not " + maxLength);
        }
        if (minLength < 0 || (minNewTokens != null && minNewTokens < 0)) {
            throw new IllegalArgumentException("min_length and min_new_tokens must not be negative");
        }
        if (noRepeatNgramSize < 0) {
            throw new IllegalArgumentException("no_repeat_ngram_size must not be negative, not " + noRepeatNgramSize);
        }
        if (maxPositionEmbeddings != null) {
            checkPositions(maxPositionEmbeddings);
        }
        if (Double.isNaN(lengthPenalty) || Double.isInfinite(lengthPenalty)) {
            throw new IllegalArgumentException("length_penalty must be a finite number, not " + lengthPenalty);
        }
        if (encoderDecoder && decoderStartTokenId == null && bosTokenId == null) {
            throw new IllegalArgumentException("decoder_start_token_id or bos_token_id has to be defined for "
                    + "encoder-decoder generation");
        }
        if (forcedEosTokenIds != null && forcedEosTokenIds.length > 1) {
            throw new IllegalArgumentException("forced_eos_token_id with several ids " + Arrays.toString(forcedEosTokenIds)
                    + " is not supported (a step can force one token); give a single id");
        }
        if (eosTokenIds != null && eosTokenIds.length == 0) {
            throw new IllegalArgumentException("eos_token_id is an empty list; give an id, a list of ids, or null");
        }
        if (badWordsIds != null) {
            if (badWordsIds.length == 0) {
                throw new IllegalArgumentException("bad_words_ids has to be a non-empty list, or null");
            }
            for (int[] w : badWordsIds) {
                if (w.length == 0 || Arrays.stream(w).anyMatch(t -> t < 0)) {
                    throw new IllegalArgumentException("each list in bad_words_ids has to be a non-empty list of "
                            + "non-negative token ids, not " + Arrays.toString(w));
                }
            }
        }
        return this;
    }

    /**
     * The length parameters against the model's {@code positions}: a decoder history (the start
     * token or a prompt of at least one token, then the new tokens) never exceeds them, so at most
     * {@code positions - 1} new tokens; a minimum or an n-gram longer than that could never be met.
     */
    private void checkPositions(int positions) {
        String after = encoderDecoder ? "after the decoder start token" : "after a one-token prompt";
        String allow = "the model's " + positions + " positions allow at most " + (positions - 1) + " new tokens "
                + after;
        if (maxNewTokens != null && maxNewTokens > positions - 1) {
            throw new IllegalArgumentException("max_new_tokens " + maxNewTokens + " is too large: " + allow);
        }
        if (maxNewTokens == null && maxLength > positions && (maxLengthGiven || maxLength != HF_DEFAULT_MAX_LENGTH)) {
            throw new IllegalArgumentException("max_length " + maxLength + " is more than the model's " + positions
                    + " positions; give at most " + positions + " (or max_new_tokens)");
        }
        if (minNewTokens != null && minNewTokens > positions - 1) {
            throw new IllegalArgumentException("min_new_tokens " + minNewTokens + " could never be reached: " + allow);
        }
        if (minLength > positions) {
            throw new IllegalArgumentException("min_length " + minLength + " could never be reached: the model has "
                    + positions + " positions");
        }
        if (noRepeatNgramSize > positions) {
            throw new IllegalArgumentException("no_repeat_ngram_size " + noRepeatNgramSize + " is longer than the model's "
                    + positions + " positions, so it could never apply; use 0 to switch it off");
        }
    }

    /**
     * {@link #validate()} and the limits of the model that will generate: every token id within
     * its vocabulary and the candidates a step asks per row ({@link #candidatesPerRow}) within what
     * it can select. The candidate limit is checked first, so a huge num_beams is answered with the
     * largest one the model runs. Returns this config.
     *
     * @param maxTopK the most candidates per row and step the model returns ({@link StepModel#maxTopK()})
     * @throws IllegalArgumentException naming the parameter and the limit
     */
    public GenerationConfig validateFor(int vocabSize, int maxTopK) {
        int topK = candidatesPerRow(vocabSize);
        if (topK > maxTopK) {
            int perBeam = beamCandidatesPerBeam();
            throw new IllegalArgumentException("num_beams " + numBeams + " needs " + topK + " candidates per row and"
                    + " step (" + perBeam + " per beam" + (perBeam > 2 ? ": one more than the " + (perBeam - 1)
                    + " EOS ids" : "") + "); the model selects at most " + maxTopK + ", so num_beams can be at most "
                    + maxTopK / perBeam);
        }
        validate();
        checkVocabulary(vocabSize);
        return this;
    }

    /**
     * The candidates per row a step asks of the model: 1 for greedy search; for beam search HF's
     * {@code max(2, 1 + number of EOS ids) * num_beams} (see {@code BeamSearch}), at most the vocabulary.
     */
    public int candidatesPerRow(int vocabSize) {
        return numBeams == 1 ? 1 : (int) Math.min(vocabSize, beamCandidates());
    }

    /** HF's beam-search candidates per sentence and step, {@code max(2, 1 + EOS ids) * num_beams}, as a long (no overflow). */
    long beamCandidates() {
        return (long) beamCandidatesPerBeam() * numBeams;
    }

    private int beamCandidatesPerBeam() {
        return Math.max(2, 1 + (eosTokenIds == null ? 0 : eosTokenIds.length));
    }

    /**
     * Checks every token id against the model's vocabulary.
     *
     * @throws IllegalArgumentException naming the parameter whose id is out of range
     */
    void checkVocabulary(int vocabSize) {
        checkId("pad_token_id", padTokenId, vocabSize);
        checkId("decoder_start_token_id", encoderDecoder ? decoderStart() : null, vocabSize);
        checkId("forced_bos_token_id", forcedBosTokenId, vocabSize);
        for (int[] ids : new int[][]{eosTokenIds, forcedEosTokenIds}) {
            if (ids != null) {
                for (int id : ids) {
                    checkId(ids == eosTokenIds ? "eos_token_id" : "forced_eos_token_id", id, vocabSize);
                }
            }
        }
        if (badWordsIds != null) {
            for (int[] w : badWordsIds) {
                for (int id : w) {
                    checkId("bad_words_ids", id, vocabSize);
                }
            }
        }
    }

    private static void checkId(String name, Integer id, int vocabSize) {
        if (id != null && (id < 0 || id >= vocabSize)) {
            throw new IllegalArgumentException(name + " " + id + " is outside the model's vocabulary of " + vocabSize);
        }
    }

    /**
     * The lengths HF's {@code _prepare_generated_length} derives for a prompt: {@code max_new_tokens}
     * becomes {@code max_length = max_new_tokens + inputLength}; a {@code max_length} still at HF's
     * default 20 that the caller did not set becomes {@code 20 + inputLength}, capped at
     * {@code max_position_embeddings}; {@code min_new_tokens} becomes
     * {@code min_length = min_new_tokens + inputLength}.
     *
     * @param inputLength decoder input length: 1 (the start token) for encoder-decoders, the padded
     *                    prompt width for decoder-only models
     */
    public Lengths lengths(int inputLength) {
        long max;
        if (maxNewTokens != null) {
            max = (long) maxNewTokens + inputLength;
        } else if (!maxLengthGiven && maxLength == HF_DEFAULT_MAX_LENGTH) {
            max = (long) maxLength + inputLength;
            if (maxPositionEmbeddings != null) {
                max = Math.min(max, maxPositionEmbeddings);
            }
        } else {
            max = maxLength;
        }
        if (max >= Integer.MAX_VALUE) {
            throw new IllegalArgumentException("max_new_tokens " + maxNewTokens + " after an input of " + inputLength
                    + " tokens is a length beyond any model's positions");
        }
        // A minimum past the maximum acts as any other does (EOS only where forced): saturate, never wrap.
        long min = minNewTokens != null ? (long) minNewTokens + inputLength : minLength;
        return new Lengths(inputLength, (int) max, (int) Math.min(min, Integer.MAX_VALUE));
    }

    /**
     * Checks that an input of {@code inputLength} decoder tokens and the new tokens these lengths
     * allow fit {@code limit} positions (a decoder-only prompt: its padded width, plus
     * max_new_tokens or up to max_length).
     *
     * @throws IllegalArgumentException naming the input, the parameter and the limit
     */
    public void checkFits(int inputLength, int limit) {
        int longest = Math.max(lengths(inputLength).max(), inputLength + 1);
        if (longest <= limit) {
            return;
        }
        String input = encoderDecoder ? "the decoder start token" : "a prompt of " + inputLength + " tokens";
        String asked = maxNewTokens != null ? "max_new_tokens " + maxNewTokens
                : longest == inputLength + 1 ? "one new token" : "max_length " + longest;
        throw new IllegalArgumentException(input + " and " + asked + " need " + longest + " positions; the model has "
                + limit + (encoderDecoder || inputLength >= limit ? "" : ": shorten the prompt to at most "
                + Math.max(1, limit - (longest - inputLength)) + " tokens or ask for fewer new tokens"));
    }

    /**
     * Resolved lengths, all counted in decoder tokens including the prompt (decoder-only) or the
     * start token (encoder-decoder).
     *
     * @param input the decoder input length
     * @param max   generation stops when a row reaches this length (forced EOS makes it the EOS position)
     * @param min   EOS is banned while a row is shorter than this
     */
    public record Lengths(int input, int max, int min) {
    }

    /** The decoder start token HF uses: decoder_start_token_id, else bos_token_id. */
    public Integer decoderStart() {
        return decoderStartTokenId != null ? decoderStartTokenId : bosTokenId;
    }

    /** The pad id HF uses: pad_token_id, else the first EOS id (HF warns and does the same), else null. */
    public Integer effectivePad() {
        return padTokenId != null ? padTokenId : eosTokenIds != null ? eosTokenIds[0] : null;
    }

    public Integer maxLength() {
        return maxLength;
    }

    /** Whether max_length was set by the caller (a kwarg), which stops HF from extending a default 20. */
    public boolean maxLengthGiven() {
        return maxLengthGiven;
    }

    public Integer maxNewTokens() {
        return maxNewTokens;
    }

    public int minLength() {
        return minLength;
    }

    public Integer minNewTokens() {
        return minNewTokens;
    }

    public int numBeams() {
        return numBeams;
    }

    public double lengthPenalty() {
        return lengthPenalty;
    }

    public EarlyStopping earlyStopping() {
        return earlyStopping;
    }

    public int noRepeatNgramSize() {
        return noRepeatNgramSize;
    }

    public int numReturnSequences() {
        return numReturnSequences;
    }

    public Integer bosTokenId() {
        return bosTokenId;
    }

    /** EOS ids, or null when the model has none. */
    public int[] eosTokenIds() {
        return copy(eosTokenIds);
    }

    public Integer padTokenId() {
        return padTokenId;
    }

    public Integer decoderStartTokenId() {
        return decoderStartTokenId;
    }

    public Integer forcedBosTokenId() {
        return forcedBosTokenId;
    }

    /** Forced EOS ids, or null. */
    public int[] forcedEosTokenIds() {
        return copy(forcedEosTokenIds);
    }

    /** Bad-word sequences, or null. */
    public int[][] badWordsIds() {
        return badWordsIds == null ? null : Arrays.stream(badWordsIds).map(int[]::clone).toArray(int[][]::new);
    }

    public boolean doSample() {
        return doSample;
    }

    public boolean encoderDecoder() {
        return encoderDecoder;
    }

    public Integer maxPositionEmbeddings() {
        return maxPositionEmbeddings;
    }

    /**
     * The parameters as HF names them, in the form of the oracle's {@code effective_generation_config}
     * (one id where HF holds one id, else a list).
     */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.add("max_length", num(maxLength));
        o.add("max_new_tokens", num(maxNewTokens));
        o.addProperty("min_length", minLength);
        o.add("min_new_tokens", num(minNewTokens));
        o.addProperty("num_beams", numBeams);
        o.addProperty("length_penalty", lengthPenalty);
        o.add("early_stopping", earlyStopping.toJson());
        o.addProperty("no_repeat_ngram_size", noRepeatNgramSize);
        o.addProperty("num_return_sequences", numReturnSequences);
        o.add("bos_token_id", num(bosTokenId));
        o.add("eos_token_id", ids(eosTokenIds));
        o.add("pad_token_id", num(padTokenId));
        o.add("decoder_start_token_id", num(decoderStartTokenId));
        o.add("forced_bos_token_id", num(forcedBosTokenId));
        o.add("forced_eos_token_id", ids(forcedEosTokenIds));
        if (badWordsIds == null) {
            o.add("bad_words_ids", com.google.gson.JsonNull.INSTANCE);
        } else {
            JsonArray a = new JsonArray();
            for (int[] w : badWordsIds) {
                a.add(single(w));
            }
            o.add("bad_words_ids", a);
        }
        o.addProperty("do_sample", doSample);
        return o;
    }

    private static JsonElement num(Integer v) {
        return v == null ? com.google.gson.JsonNull.INSTANCE : new JsonPrimitive(v);
    }

    private static JsonElement ids(int[] v) {
        if (v == null) {
            return com.google.gson.JsonNull.INSTANCE;
        }
        return v.length == 1 ? new JsonPrimitive(v[0]) : single(v);
    }

    private static JsonArray single(int[] v) {
        JsonArray a = new JsonArray();
        for (int t : v) {
            a.add(t);
        }
        return a;
    }

    @Override
    public String toString() {
        return "GenerationConfig" + toJson() + (encoderDecoder ? " (encoder-decoder)" : " (decoder-only)");
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.maxLength = maxLength;
        b.maxLengthGiven = maxLengthGiven;
        b.maxNewTokens = maxNewTokens;
        b.minLength = minLength;
        b.minNewTokens = minNewTokens;
        b.numBeams = numBeams;
        b.lengthPenalty = lengthPenalty;
        b.earlyStopping = earlyStopping;
        b.noRepeatNgramSize = noRepeatNgramSize;
        b.numReturnSequences = numReturnSequences;
        b.bosTokenId = bosTokenId;
        b.eosTokenIds = eosTokenIds;
        b.padTokenId = padTokenId;
        b.decoderStartTokenId = decoderStartTokenId;
        b.forcedBosTokenId = forcedBosTokenId;
        b.forcedEosTokenIds = forcedEosTokenIds;
        b.badWordsIds = badWordsIds;
        b.doSample = doSample;
        b.encoderDecoder = encoderDecoder;
        b.maxPositionEmbeddings = maxPositionEmbeddings;
        return b;
    }

    /** Field-by-field construction; starts at HF's defaults. Setting max_length counts as the caller's choice. */
    public static final class Builder {
        private Integer maxLength = HF_DEFAULT_MAX_LENGTH;
        private boolean maxLengthGiven;
        private Integer maxNewTokens;
        private int minLength;
        private Integer minNewTokens;
        private int numBeams = 1;
        private double lengthPenalty = 1.0;
        private EarlyStopping earlyStopping = EarlyStopping.FALSE;
        private int noRepeatNgramSize;
        private int numReturnSequences = 1;
        private Integer bosTokenId;
        private int[] eosTokenIds;
        private Integer padTokenId;
        private Integer decoderStartTokenId;
        private Integer forcedBosTokenId;
        private int[] forcedEosTokenIds;
        private int[][] badWordsIds;
        private boolean doSample;
        private boolean encoderDecoder;
        private Integer maxPositionEmbeddings;

        public Builder maxLength(Integer v) {
            maxLength = v;
            maxLengthGiven = v != null;
            return this;
        }

        public Builder maxNewTokens(Integer v) {
            maxNewTokens = v;
            return this;
        }

        public Builder minLength(int v) {
            minLength = v;
            return this;
        }

        public Builder minNewTokens(Integer v) {
            minNewTokens = v;
            return this;
        }

        public Builder numBeams(int v) {
            numBeams = v;
            return this;
        }

        public Builder lengthPenalty(double v) {
            lengthPenalty = v;
            return this;
        }

        public Builder earlyStopping(EarlyStopping v) {
            earlyStopping = v;
            return this;
        }

        public Builder noRepeatNgramSize(int v) {
            noRepeatNgramSize = v;
            return this;
        }

        public Builder numReturnSequences(int v) {
            numReturnSequences = v;
            return this;
        }

        public Builder bosTokenId(Integer v) {
            bosTokenId = v;
            return this;
        }

        /** One or more EOS ids; none (or null) for a model without EOS. */
        public Builder eosTokenIds(int... v) {
            eosTokenIds = v == null || v.length == 0 ? null : v.clone();
            return this;
        }

        public Builder padTokenId(Integer v) {
            padTokenId = v;
            return this;
        }

        public Builder decoderStartTokenId(Integer v) {
            decoderStartTokenId = v;
            return this;
        }

        public Builder forcedBosTokenId(Integer v) {
            forcedBosTokenId = v;
            return this;
        }

        public Builder forcedEosTokenId(Integer v) {
            forcedEosTokenIds = v == null ? null : new int[]{v};
            return this;
        }

        public Builder badWordsIds(int[]... v) {
            badWordsIds = v == null ? null : Arrays.stream(v).map(int[]::clone).toArray(int[][]::new);
            return this;
        }

        public Builder doSample(boolean v) {
            doSample = v;
            return this;
        }

        public Builder encoderDecoder(boolean v) {
            encoderDecoder = v;
            return this;
        }

        public Builder maxPositionEmbeddings(Integer v) {
            maxPositionEmbeddings = v;
            return this;
        }

        /** Sets one parameter by its HF name; JSON null means Python None. Unknown names are ignored. */
        void apply(String key, JsonElement v, boolean fromCaller) {
            boolean isNull = v == null || v.isJsonNull();
            switch (key) {
                case "max_length" -> {
                    maxLength = intValue(key, v);
                    maxLengthGiven = fromCaller && !isNull;
                }
                case "max_new_tokens" -> maxNewTokens = intValue(key, v);
                case "min_length" -> minLength = isNull ? 0 : intValue(key, v);
                case "min_new_tokens" -> minNewTokens = intValue(key, v);
                case "num_beams" -> numBeams = isNull ? 1 : intValue(key, v);
                case "length_penalty" -> lengthPenalty = isNull ? 1.0 : number(key, v);
                case "early_stopping" -> earlyStopping = isNull ? EarlyStopping.FALSE : EarlyStopping.parse(v);
                case "no_repeat_ngram_size" -> noRepeatNgramSize = isNull ? 0 : intValue(key, v);
                case "num_return_sequences" -> numReturnSequences = isNull ? 1 : intValue(key, v);
                case "bos_token_id" -> bosTokenId = intValue(key, v);
                case "eos_token_id" -> eosTokenIds(intList(key, v));
                case "pad_token_id" -> padTokenId = intValue(key, v);
                case "decoder_start_token_id" -> decoderStartTokenId = intValue(key, v);
                case "forced_bos_token_id" -> forcedBosTokenId = intValue(key, v);
                case "forced_eos_token_id" -> forcedEosTokenIds = intList(key, v);
                case "bad_words_ids" -> badWordsIds = intLists(key, v);
                case "do_sample" -> doSample = !isNull && bool(key, v);
                default -> {
                    // generation_config.json holds many more HF keys (temperature, top_k, ...) that only
                    // matter for sampling or other methods; do_sample=false makes them inert.
                }
            }
        }

        private static double number(String key, JsonElement v) {
            if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber()) {
                throw new IllegalArgumentException(key + " must be a number, not " + JsonFile.brief(v));
            }
            return v.getAsDouble();
        }

        public GenerationConfig build() {
            return new GenerationConfig(this);
        }
    }
}
