package elattn.cli;

import elattn.generate.Batch;
import elattn.generate.GenerationConfig;
import elattn.generate.GenerationResult;
import elattn.model.ModelConfig;
import elattn.model.device.AttentionMode;
import elattn.model.device.BatchTooLargeException;
import elattn.pipeline.Pipeline;
import elattn.runtime.Device;
import elattn.runtime.DeviceOutOfMemoryException;
import elattn.text.BpeTokenizer;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;

/**
 * A checkpoint opened for a command: its {@link Pipeline} on the chosen device and attention mode,
 * its tokenizer (when the folder has one) and the generation config with the user's flags. Turns
 * input records into padded batches, checks them against the model's positions, and the results
 * back into per-record outputs.
 */
final class ModelSession implements AutoCloseable {
    /** One input's result: the generated ids per returned sequence and, with a tokenizer, their text. */
    record Output(InputRecord input, int[][] outputIds, String[] texts) {
    }

    /** How messages name the model: its folder, or what built it. */
    private final String source;
    private final Pipeline pipeline;
    private final BpeTokenizer tokenizer;
    private final GenerationConfig generation;
    private final boolean truncate;
    /** Where notices go (a batch split after running out of device memory). */
    private final PrintWriter err;
    /** The largest batch known to fit the device: lowered when a batch does not fit, for this and later calls. */
    private int fittingBatch = Integer.MAX_VALUE;
    /**
     * Whether a window's batches run widest first ({@code -Delattn.widestFirst=true}) instead of
     * narrowest first: then a retained plan can host the narrower batches after it (within its
     * capacity) instead of every batch needing a wider plan, at the price of their padding. An A/B
     * knob until the GPU measures which wins.
     */
    private boolean widestFirst = Boolean.getBoolean("elattn.widestFirst");

    private ModelSession(String source, Pipeline pipeline, BpeTokenizer tokenizer, GenerationConfig generation,
            boolean truncate, PrintWriter err) {
        this.source = source;
        this.pipeline = pipeline;
        this.tokenizer = tokenizer;
        this.generation = generation;
        this.truncate = truncate;
        this.err = err;
    }

    /**
     * Opens {@code folder} on {@code device} with the weights stored and multiplied as
     * {@code model} says ({@code --dtype}, {@code --tensor-cores}); {@code overrides} are HF generate
     * keyword arguments.
     */
    static ModelSession open(Path folder, Device device, AttentionMode mode, ModelOptions model,
            GenerationOptions overrides, boolean truncate) {
        BpeTokenizer tokenizer = hasTokenizer(folder) ? BpeTokenizer.open(folder) : null;
        Pipeline pipeline = Pipeline.open(folder, device, mode, model.precision(), !model.noCheckWeights);
        try {
            pipeline.tensorCores(model.tensorCores);
            GenerationConfig generation = overrides.applyTo(pipeline, folder);
            return new ModelSession(folder.toString(), pipeline, tokenizer, generation, truncate, model.err());
        } catch (RuntimeException e) {
            pipeline.close();
            throw e;
        }
    }

    /**
     * A session over a model built in code ({@link Pipeline#of}; {@code source} names it in
     * messages), generating with the pipeline's own generation config; token ids only (no tokenizer).
     */
    static ModelSession of(String source, Pipeline pipeline, PrintWriter err) {
        return new ModelSession(source, pipeline, null, pipeline.validate(pipeline.generationConfig()), false, err);
    }

    private static boolean hasTokenizer(Path folder) {
        return Files.exists(folder.resolve("tokenizer.json")) || Files.exists(folder.resolve("vocab.json"));
    }

    ModelConfig config() {
        return pipeline.config();
    }

    Pipeline pipeline() {
        return pipeline;
    }

    GenerationConfig generation() {
        return generation;
    }

    boolean hasTokenizer() {
        return tokenizer != null;
    }

    /** Fails with a clear line unless the model is encoder-decoder ({@code true}) or decoder-only. */
    void requireEncoderDecoder(boolean wanted, String command, String other) {
        if (config().encoderDecoder() != wanted) {
            throw new CliException(source + " holds " + (wanted ? "a decoder-only" : "an encoder-decoder") + " model ("
                    + config().family() + "); `elattn " + command + "` needs " + (wanted ? "an encoder-decoder"
                    : "a decoder-only") + " model: use `elattn " + other + "` for it");
        }
    }

    /**
     * New tokens a decoder-only prompt must leave room for: {@code max_new_tokens}, else one (a
     * {@code max_length} is a total, checked against the positions on its own).
     */
    private int room() {
        return generation.maxNewTokens() != null ? generation.maxNewTokens() : 1;
    }

    /**
     * Longest input the model takes: its positions (encoder), or the positions less the new tokens
     * (a prompt and its continuation share the decoder's positions).
     */
    private int inputLimit() {
        int positions = config().maxPositions();
        return config().encoderDecoder() ? positions : positions - room();
    }

    /** The record as messages name it: where it came from, and its id when that says more. */
    private static String name(InputRecord r) {
        return r.where().contains(" line ") ? r.where() + " (id " + r.id() + ")" : r.where();
    }

    /** The record's token ids and mask, checked against (or, with --truncate, cut to) the model's positions. */
    int[][] encode(InputRecord r) {
        int[] ids;
        int[] mask;
        if (r.inputIds() != null) {
            ids = r.inputIds();
            mask = r.attentionMask() != null ? r.attentionMask() : ones(ids.length);
            for (int id : ids) {
                if (id >= config().vocabSize()) {
                    throw new CliException(r.where() + ": token id " + id + " is outside the model's vocabulary of "
                            + config().vocabSize());
                }
            }
        } else {
            if (tokenizer == null) {
                throw new CliException(r.where() + ": the input is text but " + source + " has no tokenizer"
                        + " (tokenizer.json, or vocab.json + merges.txt); give input_ids in a JSONL --input");
            }
            ids = tokenizer.encode(r.text(), true);
            if (ids.length == 0) {
                throw new CliException("empty input: " + r.where() + " has no tokens");
            }
            mask = ones(ids.length);
        }
        int limit = inputLimit();
        if (ids.length <= limit) {
            return new int[][]{ids, mask};
        }
        if (!truncate) {
            int positions = config().maxPositions();
            throw new CliException(name(r) + ": the input is " + ids.length + " tokens but the model takes at most "
                    + limit + " (its " + positions + " positions" + (config().encoderDecoder() ? ""
                    : (generation.maxNewTokens() != null ? " less --max-new-tokens " + room() : " less one new token"))
                    + "); pass --truncate to cut it" + (config().encoderDecoder() ? "" : " to its last " + limit
                    + " tokens"));
        }
        if (config().encoderDecoder()) {
            // Keep the start and the final token (BART's </s>), as HF's tokenizer truncation does.
            int[] cut = Arrays.copyOf(ids, limit);
            cut[limit - 1] = ids[ids.length - 1];
            int[] cutMask = Arrays.copyOf(mask, limit);
            cutMask[limit - 1] = mask[mask.length - 1];
            return new int[][]{cut, cutMask};
        }
        // The prompt's end is what the continuation follows: keep the last tokens, as HF's text-generation
        // pipeline does with handle_long_generation="hole".
        return new int[][]{Arrays.copyOfRange(ids, ids.length - limit, ids.length),
                Arrays.copyOfRange(mask, mask.length - limit, mask.length)};
    }

    private static int[] ones(int n) {
        int[] a = new int[n];
        Arrays.fill(a, 1);
        return a;
    }

    /**
     * Every record's token ids and mask ({@link #encode}): a bad record fails here, before any work,
     * and before a job touches its output.
     */
    List<int[][]> encodeAll(List<InputRecord> records) {
        List<int[][]> encoded = new ArrayList<>(records.size());
        for (InputRecord r : records) {
            encoded.add(encode(r));
        }
        return encoded;
    }

    /** Encodes every record ({@link #encodeAll}), then generates them ({@link #generate(List, List, int, Consumer)}). */
    void generate(List<InputRecord> records, int batchSize, Consumer<List<Output>> sink) {
        generate(records, encodeAll(records), batchSize, sink);
    }

    /**
     * Generates every record from its {@code encoded} ids in batches of {@code batchSize} and hands
     * the outputs to {@code sink} in input order, each as soon as it and every record before it are
     * done; an exception from the sink stops the job. Within each window of
     * {@link #SORT_WINDOW_BATCHES} batches the records are batched by input length, so that a batch
     * pads little and batches of nearby widths reuse one device plan (a record's output does not
     * depend on its batch). A batch that does not fit the device is halved ({@link #smallerBatch})
     * and generated again, with the same outputs.
     */
    void generate(List<InputRecord> records, List<int[][]> encoded, int batchSize, Consumer<List<Output>> sink) {
        generate(records, encoded, batchSize, sink, (batchRecords, width) -> { });
    }

    /** Told of each batch as it is generated, before its outputs go to the sink (a profiler's batch boundaries). */
    interface BatchListener {
        /** A batch of {@code records} inputs, the longest {@code width} tokens, is generated. */
        void batchDone(int records, int width);
    }

    /** {@link #generate(List, List, int, Consumer)}, telling {@code listener} of each batch generated. */
    void generate(List<InputRecord> records, List<int[][]> encoded, int batchSize, Consumer<List<Output>> sink,
            BatchListener listener) {
        int window = (int) Math.min(records.size(), (long) batchSize * SORT_WINDOW_BATCHES);
        for (int from = 0; from < records.size(); from += window) {
            int to = Math.min(records.size(), from + window);
            generateWindow(records.subList(from, to), encoded.subList(from, to), batchSize, sink, listener);
        }
    }

    /** Runs each window's batches widest first (true) or narrowest first (false, the default). */
    ModelSession widestFirst(boolean on) {
        widestFirst = on;
        return this;
    }

    /** Batches per window that {@link #generate(List, List, int, Consumer)} sorts by input length. */
    static final int SORT_WINDOW_BATCHES = 8;

    private void generateWindow(List<InputRecord> records, List<int[][]> encoded, int batchSize,
            Consumer<List<Output>> sink, BatchListener listener) {
        int n = records.size();
        List<Integer> order = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        Comparator<Integer> byWidth = Comparator.comparingInt(i -> encoded.get(i)[0].length);
        order.sort(widestFirst ? byWidth.reversed() : byWidth);
        Output[] done = new Output[n];
        int emitted = 0;
        for (int from = 0; from < n; ) {
            int to = Math.min(n, from + Math.min(batchSize, fittingBatch));
            List<Integer> batch = order.subList(from, to);
            List<Output> outputs;
            try {
                outputs = generateBatch(batch.stream().map(records::get).toList(),
                        batch.stream().map(encoded::get).toList());
            } catch (DeviceOutOfMemoryException | BatchTooLargeException e) {
                fittingBatch = smallerBatch(records.get(batch.getFirst()), to - from, e);
                continue;
            }
            for (int k = 0; k < outputs.size(); k++) {
                done[batch.get(k)] = outputs.get(k);
            }
            listener.batchDone(batch.size(), batch.stream().mapToInt(i -> encoded.get(i)[0].length).max().orElse(0));
            from = to;
            int ready = emitted;
            while (ready < n && done[ready] != null) {
                ready++;
            }
            if (ready > emitted) {
                sink.accept(Arrays.asList(done).subList(emitted, ready));
                emitted = ready;
            }
        }
    }

    /**
     * After a batch of {@code failed} records did not fit the device: half of it, said on stderr,
     * for this and the remaining batches (of this call and later ones: a benchmark's timed pass
     * after its warm-up); a single record that does not fit fails the job, named.
     */
    private int smallerBatch(InputRecord first, int failed, RuntimeException e) {
        String device = pipeline.device().id();
        if (failed == 1) {
            throw new CliException(name(first) + ": does not fit on " + device + " even alone (" + e.getMessage()
                    + "); use --dtype fp16, fewer --num-beams, a lower --max-new-tokens, a shorter input or a device"
                    + " with more memory");
        }
        int half = failed / 2;
        err.println("elattn: a batch of " + failed + " records does not fit on " + device + " ("
                + (e instanceof BatchTooLargeException ? "too large to index" : "out of memory") + "); going on with"
                + " batches of " + half + " (pass --batch-size " + half + " to start there)");
        err.flush();
        return half;
    }

    private List<Output> generateBatch(List<InputRecord> records, List<int[][]> encoded) {
        int width = encoded.stream().mapToInt(e -> e[0].length).max().orElseThrow();
        int pad = generation.effectivePad() != null ? generation.effectivePad() : 0;
        boolean left = !config().encoderDecoder();
        int[][] ids = new int[records.size()][width];
        int[][] masks = new int[records.size()][width];
        for (int s = 0; s < ids.length; s++) {
            int[] x = encoded.get(s)[0];
            int[] m = encoded.get(s)[1];
            int offset = left ? width - x.length : 0;
            Arrays.fill(ids[s], pad);
            System.arraycopy(x, 0, ids[s], offset, x.length);
            System.arraycopy(m, 0, masks[s], offset, m.length);
        }
        GenerationResult result = pipeline.generate(new Batch(ids, masks), generation);
        List<Output> out = new ArrayList<>(records.size());
        for (int s = 0; s < records.size(); s++) {
            int n = result.numReturnSequences();
            int[][] seqs = new int[n][];
            String[] texts = tokenizer == null ? null : new String[n];
            for (int k = 0; k < n; k++) {
                seqs[k] = result.generated(s, k);
                if (texts != null) {
                    // A summary is a text on its own; a continuation keeps its leading space to follow the prompt.
                    String text = tokenizer.decode(seqs[k], true);
                    texts[k] = config().encoderDecoder() ? text.strip() : text;
                }
            }
            out.add(new Output(records.get(s), seqs, texts));
        }
        return out;
    }

    @Override
    public void close() {
        pipeline.close();
    }
}
