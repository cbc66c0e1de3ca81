package elattn.model.device;

import elattn.generate.Batch;
import elattn.generate.Candidates;
import elattn.generate.StepModel;
import elattn.generate.StepRequest;
import elattn.kernel.NativeArray;
import elattn.model.ModelConfig;
import elattn.model.ModelWeights;
import elattn.model.Precision;
import elattn.runtime.Device;
import elattn.runtime.ExecutionPlan;
import elattn.runtime.ExecutionResult;
import elattn.runtime.ImmutableTaskGraph;
import elattn.runtime.SharedBuffers;
import elattn.tasks.Logits;
import elattn.tasks.attention.Attention;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A model of any supported family (BART, GPT-2, Marian: the family is data in {@link ModelConfig})
 * running on a {@link Device} as a {@link StepModel}, with EL-attention by default or standard
 * multi-head attention ({@link AttentionMode}).
 *
 * <p>Each {@link #start} builds one {@link ExecutionPlan} for the batch and runs its graphs:
 *
 * <pre>
 *  start:  batch          (key masks, positions, cross-attention key table: once)
 *          encoder        (once per chunk of {@link #encoderChunkSentences} sentences ─► its rows of H)
 *          [encoderCross] (MHA only, once: H ─► per-beam copies ─► every decoder layer's cross K, V)
 *          decode         (the first scored step)
 *  next:   decode         (one step of every live row; see {@link DecoderGraph})
 * </pre>
 *
 * Weights and the encoder output go to (or are made on) the device once and stay until
 * {@link #close}; per step only token ids, parent rows, the row -> sentence map, the constraints
 * and {@code rows x topK} candidates cross the bus. The history caches are sized for
 * {@code maxSteps} decoder steps of {@code maxBeams} rows per sentence when the batch starts
 * ({@link #cacheBytes} reports them); more is an error. The encoder's scratch is sized for one
 * chunk of sentences, not the batch, so it stays small beside H and the caches.
 *
 * <p>{@link #close} ends the batch and frees its device memory, as {@link StepModel} says. A
 * caller that runs many batches (a server, a test suite, a command over a file) can
 * {@link #retainDeviceMemory keep} the plan instead: weights stay on the device and built kernels
 * stay built, and the next batch reuses them if it fits: an encoder-decoder's plan is sized for a
 * source width rounded up, and takes any batch of at most its sentences whose width fits without
 * half again as much padding (BatchLayout's capacity); {@link #release} then frees them. A batch
 * that does not fit gets a new plan, which reads the same copy of the weights ({@link SharedBuffers}):
 * only its caches and scratch are new.
 *
 * <p>Weights may be stored in any {@link Precision} ({@code ModelWeights<FloatArray>} or
 * {@code ModelWeights<HalfFloatArray>}): fp16 storage keeps the weight matrices in half the device
 * memory and reads them with the fp16 forms of the weight kernels ({@link PrecisionKernels}); biases
 * and layer-norm parameters go to the device in fp32, and every activation, cache and sum is fp32.
 *
 * <p>Kernels that have a loop and a work-group form run in the {@link KernelForms} chosen from the
 * device (work-group forms on GPUs: tiled attention, register-blocked and per-output linears, one work-group
 * per row for layer norm and top-k), or forced with {@link #kernelForms(KernelForms)} or
 * {@code -Delattn.kernelForms}; the graphs are the same either way.
 *
 * <p>Not thread-safe: one generation at a time.
 */
public final class DeviceModel implements StepModel {
    /**
     * The encoder's scratch budget per run, in floats: 2^28 (1 GiB), see {@link #encoderChunkSentences}.
     */
    public static final long ENCODER_SCRATCH_FLOATS = 1L << 28;
    /**
     * The most candidates per row a step selects on the device ({@link Logits#MAX_K}); beam search
     * asks 2 per beam (one more per EOS id past the first), so num_beams is at most 32.
     */
    public static final int MAX_TOP_K = Logits.MAX_K;
    /**
     * Whether plans launch each graph as one CUDA graph on CUDA devices ({@link ExecutionPlan#withCudaGraph}):
     * off unless {@code -Delattn.cudaGraphs=true}. Measured on an H100 (docs/benchmarks.md), a step's
     * kernels take longer than launching them, so kernel-by-kernel launches overlap the device's work,
     * while a replay first updates the nodes whose step number or rows changed: 2 to 15% slower.
     */
    private static final boolean CUDA_GRAPHS = Boolean.getBoolean("elattn.cudaGraphs");
    /**
     * The name of the task graph a decoder step executes ({@code ExecutionResult.getGraphNames()}):
     * profilers that observe the plans ({@code ExecutionPlan.observe}) count decode steps by it.
     */
    public static final String STEP_GRAPH = DecoderGraph.NAME;

    private final ModelConfig config;
    private final DeviceWeights<?> weights;
    private final Device device;
    private final AttentionMode mode;
    private final int maxSteps;
    private final int maxBeams;
    private KernelForms forms;
    /** Whether the big products and EL's cross-attention run on tensor cores ({@link #tensorCores(boolean)}). */
    private boolean tensorCores;
    /** See {@link KernelLaunches#TILED_MIN_BLOCKS}; lowered by tests to run the tiled linear on small models. */
    private long tiledMinBlocks = KernelLaunches.TILED_MIN_BLOCKS;
    /** See {@link KernelLaunches#BLOCKED_MIN_BLOCKS}; lowered by tests to run the 64 x 64 form on small models. */
    private long blockedMinBlocks = Long.getLong("elattn.blockedMinBlocks", KernelLaunches.BLOCKED_MIN_BLOCKS);
    /**
     * EL's cross-attention in the row forms (true) or the blocked ones (false), or null for
     * {@link #rowAttentionForSharedKeys(BatchLayout)}'s choice by shape; {@code -Delattn.crossAttentionRows=true|false},
     * or tests.
     */
    private Boolean rowAttentionForSharedKeys = Optional.ofNullable(System.getProperty("elattn.crossAttentionRows"))
            .map(Boolean::parseBoolean).orElse(null);
    /** How blocked products split along their depth ({@link KernelLaunches.Split}); tests split small models. */
    private KernelLaunches.Split split = KernelLaunches.Split.DEFAULT;
    /** The most sentences per encoder run, or 0 for {@link #encoderChunkSentences}'s budget; lowered by tests. */
    private int encoderChunkLimit;
    private boolean retain;
    /** Decoder steps a generation takes after its prompt, or -1 when not known ({@link #generationSteps(int)}). */
    private int generationSteps = -1;
    private Run run;
    /** A finished batch's plan kept for reuse ({@link #retainDeviceMemory}), or null. */
    private Run idle;
    /**
     * The weights on the device for every plan while {@link #retainDeviceMemory retained}: a plan
     * for a new batch shape reuses them instead of copying them again; null until a retained plan
     * is built, and after {@link #release}.
     */
    private SharedBuffers sharedWeights;
    /** The layout of the last batch started, for {@link #cacheBytes}. */
    private BatchLayout last;
    /** Whether the last batch started kept EL's H, and EL's history, in fp16 (tensor cores). */
    private boolean lastHalfCross;
    private boolean lastHalfSelf;

    /**
     * EL-attention, with room for as many decoder steps as the model has positions and
     * {@code maxBeams} rows per sentence.
     */
    public DeviceModel(ModelConfig config, ModelWeights<? extends NativeArray> weights, Device device, int maxBeams) {
        this(config, weights, device, AttentionMode.EL, config.maxPositions(), maxBeams);
    }

    /**
     * The caches are sized when a batch starts, for {@code maxSteps} decoder steps of up to
     * {@code maxBeams} rows per sentence (as a static KV cache is, but for EL's smaller state).
     *
     * @param maxSteps decoder steps the caches hold, at most {@code config.maxPositions()}: for an
     *                 encoder-decoder the longest output including the start token, for a
     *                 decoder-only model the prompt width plus the new tokens
     * @param maxBeams rows per sentence a step may have (the beam count; 1 for greedy)
     */
    public DeviceModel(ModelConfig config, ModelWeights<? extends NativeArray> weights, Device device,
            AttentionMode mode, int maxSteps, int maxBeams) {
        this.config = Objects.requireNonNull(config, "config");
        this.weights = new DeviceWeights<>(Objects.requireNonNull(weights, "weights"));
        this.device = Objects.requireNonNull(device, "device");
        this.mode = Objects.requireNonNull(mode, "mode");
        if (maxSteps < 1 || maxSteps > config.maxPositions()) {
            throw new IllegalArgumentException("maxSteps must be between 1 and the model's " + config.maxPositions()
                    + " positions, not " + maxSteps);
        }
        this.maxSteps = maxSteps;
        if (maxBeams < 1) {
            throw new IllegalArgumentException("maxBeams must be at least 1, not " + maxBeams);
        }
        this.maxBeams = maxBeams;
        this.forms = KernelForms.defaultFor(device);
    }

    /**
     * Runs the loop or the work-group forms of the kernels that have both (default:
     * {@link KernelForms#defaultFor} the device: work-group forms on GPUs). A plan kept by
     * {@link #retainDeviceMemory} is released when the forms change. Returns this model.
     */
    public DeviceModel kernelForms(KernelForms newForms) {
        Objects.requireNonNull(newForms, "forms");
        if (tensorCores && newForms != KernelForms.GROUP) {
            throw new IllegalStateException("tensor cores run in the work-group forms; turn tensorCores off first");
        }
        if (newForms != forms) {
            if (run != null) {
                throw new IllegalStateException("kernelForms cannot change while a batch runs; close() it first");
            }
            release();
            forms = newForms;
        }
        return this;
    }

    /**
     * With {@code true}, the products that dominate generation run on tensor cores
     * ({@code KernelContext.mma16816}: operands rounded to fp16, products summed in fp32): every
     * linear big enough for a register-blocked form ({@code Gemm.hgemmTensorCore}: the encoder's, a
     * decode step's over hundreds of rows, the LM head) and the scores and context of attention over
     * key tables a sentence's rows share ({@code TensorCoreAttention}: EL's cross-attention, the
     * encoder's self-attention). The rest (layer norms, softmax, decoder self-attention, EL's
     * per-head projections, the per-output forms of small steps) stays fp32. Default off: with it, outputs
     * are no longer those of fp32 arithmetic on the stored weights, but within fp16 rounding of them
     * (as HF transformers' fp16 models are), and sequences may differ where two candidates nearly tie.
     *
     * <p>Needs fp16 weights ({@link Precision#FP16}: the weights are the tensor cores' fp16 operand),
     * the work-group forms, and a device that has tensor cores ({@link Device#hasTensorCores}: CUDA
     * compute capability 8.0+, or the JVM's emulation for tests). Returns this model.
     */
    public DeviceModel tensorCores(boolean on) {
        if (on == tensorCores) {
            return this;
        }
        if (run != null) {
            throw new IllegalStateException("tensorCores cannot change while a batch runs; close() it first");
        }
        if (on) {
            if (!device.hasTensorCores()) {
                throw new IllegalArgumentException(device.id() + " (" + device.name() + ") has no tensor cores: they"
                        + " need a CUDA device of compute capability 8.0 or later (Ampere, Hopper); run without"
                        + " tensor cores here");
            }
            if (precision() != Precision.FP16) {
                throw new IllegalArgumentException("tensor cores multiply fp16 weights, and these are "
                        + precision() + ": load the model with fp16 weights (--dtype fp16)");
            }
            if (forms != KernelForms.GROUP) {
                throw new IllegalArgumentException("tensor cores run in the work-group forms, and this model uses "
                        + forms + ": set kernelForms(GROUP) first");
            }
        }
        release();
        tensorCores = on;
        return this;
    }

    /** Whether the big products run on tensor cores ({@link #tensorCores(boolean)}). */
    public boolean tensorCores() {
        return tensorCores;
    }

    /** Linears of at least this many 128 x 128 blocks take the tiled form (tests: 1 runs it everywhere). */
    DeviceModel tiledMinBlocks(long blocks) {
        release();
        tiledMinBlocks = blocks;
        return this;
    }

    /** Products of at least this many 64 x 64 blocks (not tiled) take the register-blocked form (tests: 1 runs it everywhere). */
    DeviceModel blockedMinBlocks(long blocks) {
        release();
        blockedMinBlocks = blocks;
        return this;
    }

    /** How blocked products split along their depth (tests: parts a few steps deep, to split small models). */
    DeviceModel split(KernelLaunches.Split how) {
        release();
        split = how;
        return this;
    }

    /** EL's cross-attention in the row forms, or in the blocked ones (tests; {@code -Delattn.crossAttentionRows}). */
    DeviceModel rowAttentionForSharedKeys(boolean on) {
        release();
        rowAttentionForSharedKeys = on;
        return this;
    }

    /**
     * Whether EL's cross-attention takes the row forms in a plan of this layout: as set, else where a
     * sentence has fewer lanes (beams x heads) than a block of the blocked forms
     * ({@link Attention#BLOCK_LANES}). The blocked forms stage a sentence's H once for a block of
     * lanes, but a block then makes one pass per sentence it holds, and a batch has few blocks: on
     * debian-bart (4 beams x 4 heads, 64 sentences) 16 work-groups, four passes each, against 512 of
     * the row forms, which took the decode step's kernels from 1.64 to 1.12 ms (H100, benchmarks.md).
     * bart-large at beam 4 (4 x 16 = 64 lanes) keeps the blocked forms.
     */
    private boolean rowAttentionForSharedKeys(BatchLayout layout) {
        return rowAttentionForSharedKeys != null ? rowAttentionForSharedKeys
                : (long) layout.beams * config.decoderHeads() < Attention.BLOCK_LANES;
    }

    /** Runs the encoder over at most {@code sentences} sentences at a time (tests: 1 or 2, for partial chunks); 0 restores the budget's choice. */
    DeviceModel encoderChunkLimit(int sentences) {
        release();
        encoderChunkLimit = sentences;
        return this;
    }

    /**
     * Sentences per encoder run for a batch of {@code sentences} inputs {@code sourceWidth} tokens
     * wide: the most whose encoder scratch (per sentence {@code width x (6 d + ffn + heads x width)}
     * floats: the residual stream, q, k, v, attended heads and sublayer output, the feed-forward
     * activations and the attention scores) fits {@link #ENCODER_SCRATCH_FLOATS}; at least 1, at
     * most {@code sentences}. bart-large at 1024 source tokens: 9 sentences, 0.91 GiB.
     */
    public static int encoderChunkSentences(ModelConfig config, int sourceWidth, int sentences) {
        long width = Math.max(1, sourceWidth);
        long perSentence = width * (6L * config.dModel() + config.encoderFfn() + config.encoderHeads() * width);
        return (int) Math.max(1, Math.min(sentences, ENCODER_SCRATCH_FLOATS / perSentence));
    }

    /** The kernel forms this model's graphs use. */
    public KernelForms kernelForms() {
        return forms;
    }

    /**
     * With {@code true}, {@link #close} keeps the device plan (weights, buffers, built kernels) so
     * that the next batch that fits it (as many beams, at most its sentences, a width that fits:
     * see the class comment) starts without uploading or building anything; {@link #release} frees
     * it. Returns this model.
     */
    public DeviceModel retainDeviceMemory(boolean keep) {
        this.retain = keep;
        if (!keep) {
            release();
        }
        return this;
    }

    /**
     * The most decoder steps the next generations take after their prompts (a decoder-only model:
     * the new tokens): then a kept plan whose prompt width is larger than a batch's, by no more than
     * the {@code maxSteps} left free, runs it with the prompt padded on the left, instead of
     * building a plan for its width. Unknown by default (prompts are not padded); an encoder-decoder
     * ignores it. Returns this model.
     */
    public DeviceModel generationSteps(int steps) {
        this.generationSteps = steps;
        return this;
    }

    /** Frees all device memory of this model: a plan kept by {@link #retainDeviceMemory}, and the weights. */
    public void release() {
        close();
        dropIdlePlan();
        if (sharedWeights != null) {
            sharedWeights.close();
            sharedWeights = null;
        }
    }

    /** Frees the plan kept by {@link #retainDeviceMemory}, if any (the shared weights stay). */
    private void dropIdlePlan() {
        if (idle != null) {
            idle.plan.close();
            idle = null;
        }
    }

    public AttentionMode mode() {
        return mode;
    }

    public Device device() {
        return device;
    }

    /** The storage precision of the weight matrices on the device. */
    public Precision<?> precision() {
        return weights.weights().precision();
    }

    /**
     * Bytes of all weights as the device holds them: matrices (linear weights, embedding and position
     * tables, LM head) in {@link #precision()}, biases and layer-norm parameters in fp32, tied arrays
     * once.
     */
    public long weightBytes() {
        return weights.bytes();
    }

    @Override
    public int vocabSize() {
        return config.vocabSize();
    }

    /** The decoder steps the caches hold ({@code maxSteps}). */
    @Override
    public int maxLength() {
        return maxSteps;
    }

    @Override
    public int maxTopK() {
        return MAX_TOP_K;
    }

    /**
     * Bytes of attention state the last batch started holds (or held) on the device, cross- and
     * self-attention separately, for {@code maxSteps} steps of {@code maxBeams} rows per sentence.
     */
    public CacheBytes cacheBytes() {
        if (last == null) {
            throw new IllegalStateException("no batch has started: cacheBytes() reports the batch of the last start()");
        }
        return last.cacheBytes(lastHalfCross, lastHalfSelf);
    }

    /**
     * Bytes of device memory this model's buffers occupy now: weights, caches and step scratch of
     * the running batch, or of the plan kept by {@link #retainDeviceMemory}; 0 when it holds none.
     */
    public long deviceBytes() {
        ExecutionPlan plan = run != null ? run.plan : idle != null ? idle.plan : null;
        return (plan == null ? 0 : plan.getAllocatedBytes())
                + (sharedWeights == null ? 0 : sharedWeights.getAllocatedBytes());
    }

    @Override
    public Candidates start(Batch batch, int rowsPerSentence, StepRequest request) {
        if (rowsPerSentence < 1) {
            throw new IllegalArgumentException("rowsPerSentence must be at least 1, not " + rowsPerSentence);
        }
        close();
        // A prompt may be padded into the steps the generation leaves free; a source needs none.
        int room = config.encoderDecoder() || generationSteps < 0 ? -1 : maxSteps - batch.width() - generationSteps;
        boolean left = !config.encoderDecoder();
        int padToken = Math.max(0, config.padTokenId());
        Batch padded;
        if (idle != null && idle.layout.canHost(batch, rowsPerSentence, maxBeams, maxSteps, room)) {
            padded = idle.layout.capacity().pad(batch, left, padToken);
            BatchLayout layout = new BatchLayout(config, mode, padded, rowsPerSentence, maxBeams, maxSteps,
                    encoderChunkLimit, idle.layout.capacity());
            idle.b.load(layout);
            run = new Run(layout, idle.b, idle.plan);
        } else {
            dropIdlePlan();
            BatchLayout.Capacity capacity = BatchLayout.Capacity.of(config, batch, room);
            padded = capacity.pad(batch, left, padToken);
            BatchLayout layout = new BatchLayout(config, mode, padded, rowsPerSentence, maxBeams, maxSteps,
                    encoderChunkLimit, capacity);
            Buffers b = new Buffers(layout, new KernelLaunches(forms, tensorCores, tiledMinBlocks, blockedMinBlocks,
                    rowAttentionForSharedKeys(layout), split));
            List<ImmutableTaskGraph> graphs = new ArrayList<>(List.of(DecoderGraph.batchTables(layout, b)));
            if (config.encoderDecoder()) {
                graphs.add(EncoderGraph.build(layout,
                        weights.on(b.launches, layout.chunkSentences * layout.srcWidth), b));
                if (mode == AttentionMode.MHA) {
                    graphs.add(EncoderGraph.buildCross(layout,
                            weights.on(b.launches, layout.maxRows * layout.srcWidth), b));
                }
            } else if (layout.prefillSteps > 0) {
                graphs.add(PrefillGraph.build(layout, weights.on(b.launches, layout.prefillTokens.length), b));
            }
            graphs.add(DecoderGraph.build(layout, weights.on(b.launches, layout.maxRows), b));
            ExecutionPlan plan = new ExecutionPlan(graphs.toArray(ImmutableTaskGraph[]::new));
            if (CUDA_GRAPHS) {
                plan.withCudaGraph();
            }
            b.launches.register(plan);
            if (retain) {
                if (sharedWeights == null) {
                    // arrays() widens every vector as the graphs' vector() does (once): the same arrays.
                    sharedWeights = new SharedBuffers(device).add(weights.arrays());
                }
                plan.withSharedBuffers(sharedWeights);
            }
            run = new Run(layout, b, plan.withDevice(device));
        }
        idle = null;
        BatchLayout layout = run.layout;
        last = layout;
        lastHalfCross = Buffers.halfCross(mode == AttentionMode.EL, tensorCores, config.dModel(), layout.srcWidth);
        lastHalfSelf = Buffers.halfSelf(mode == AttentionMode.EL, tensorCores, config.dModel(), layout.selfKeyStride);
        return run.start(padded, rowsPerSentence, request);
    }

    @Override
    public Candidates next(int[] tokens, int[] parents, StepRequest request) {
        if (run == null) {
            throw new IllegalStateException("next() before start(): start a batch first");
        }
        if (tokens.length != parents.length) {
            throw new IllegalArgumentException(tokens.length + " tokens but " + parents.length + " parents");
        }
        return run.next(tokens, parents, request);
    }

    @Override
    public void close() {
        if (run != null) {
            if (retain) {
                idle = run;
            } else {
                run.plan.close();
            }
            run = null;
        }
    }

    /** One batch: its layout, arrays, plan and the host's view of the rows. */
    private final class Run {
        final BatchLayout layout;
        final Buffers b;
        final ExecutionPlan plan;
        int step;
        int[] rowSentence = new int[0];

        Run(BatchLayout layout, Buffers b, ExecutionPlan plan) {
            this.layout = layout;
            this.b = b;
            this.plan = plan;
        }

        Candidates start(Batch batch, int rowsPerSentence, StepRequest request) {
            plan.execute(DecoderGraph.BATCH);
            if (config.encoderDecoder()) {
                for (int c = 0; c < layout.chunks(); c++) {
                    b.loadChunk(layout, c);
                    plan.execute(EncoderGraph.NAME);
                }
                if (mode == AttentionMode.MHA) {
                    plan.execute(EncoderGraph.CROSS);
                }
                int[] tokens = new int[layout.batchStartRows()];
                Arrays.fill(tokens, config.decoderStartTokenId());
                return run(tokens, identity(tokens.length), perBeam(tokens.length, rowsPerSentence), request);
            }
            // Decoder-only: the prompt's steps before the last in one pass (pre-norm models), the rest
            // one step per column; the last one is scored.
            int first = 0;
            if (layout.prefillSteps > 0) {
                plan.execute(PrefillGraph.NAME);
                first = layout.prefillSteps;
                step = first;
            }
            Candidates out = null;
            for (int t = first; t < layout.promptWidth; t++) {
                int n = layout.rowsAt(t);
                boolean shared = n == layout.sentences;
                int[] sentences = shared ? identity(n) : perBeam(n, rowsPerSentence);
                int[] parents = t > 0 && n != layout.rowsAt(t - 1) ? perBeam(n, rowsPerSentence) : identity(n);
                int[] tokens = new int[n];
                for (int r = 0; r < n; r++) {
                    tokens[r] = Math.max(0, batch.inputIds()[sentences[r]][t]);
                }
                out = run(tokens, parents, sentences, t == layout.firstScoredStep() ? request : null);
            }
            return out;
        }

        Candidates next(int[] tokens, int[] parents, StepRequest request) {
            int[] sentences = new int[tokens.length];
            for (int r = 0; r < tokens.length; r++) {
                if (parents[r] < 0 || parents[r] >= rowSentence.length) {
                    throw new IllegalArgumentException("row " + r + " names parent " + parents[r] + " but the previous"
                            + " step had " + rowSentence.length + " rows");
                }
                sentences[r] = rowSentence[parents[r]];
            }
            return run(tokens, parents, sentences, request);
        }

        /** Runs decoder step {@link #step} on these rows; returns their candidates, or null for an unscored prompt step. */
        private Candidates run(int[] tokens, int[] parents, int[] sentences, StepRequest request) {
            int n = tokens.length;
            if (step >= layout.maxSteps) {
                throw new IllegalStateException("decoder step " + step + " is past the " + layout.maxSteps
                        + " steps this model's caches hold; construct the DeviceModel with a larger maxSteps (at most "
                        + config.maxPositions() + ")");
            }
            if (n < 1 || n > layout.rowsAt(step)) {
                throw new IllegalArgumentException("step " + step + " has " + n + " rows; this batch allows 1 to "
                        + layout.rowsAt(step) + " (" + layout.beams + " per sentence: construct the DeviceModel with a"
                        + " larger maxBeams for more)");
            }
            for (int r = 0; r < n; r++) {
                b.tokens.set(r, tokens[r]);
                b.parents.set(r, parents[r]);
                b.rowSentence.set(r, sentences[r]);
            }
            if (config.encoderDecoder() && mode == AttentionMode.MHA) {
                // Every beam copy of a sentence's encoder output is the same: give each row one of them.
                int[] used = new int[layout.sentences];
                for (int r = 0; r < n; r++) {
                    int s = sentences[r];
                    b.crossRow.set(r, s * layout.beams + Math.min(used[s]++, layout.beams - 1));
                }
            }
            b.step.set(step);
            b.keyCount.set(step + 1);
            int k = 1;
            if (request != null) {
                k = request.topK();
                if (k > MAX_TOP_K) {
                    throw new IllegalArgumentException("topK " + k + " is more than the " + MAX_TOP_K
                            + " candidates per row the device selects (maxTopK())");
                }
                setConstraints(request, n);
            }
            b.scoredRows.set(request == null ? 0 : n);
            b.topK.set(k);
            b.setRows(n, layout);
            ExecutionResult result = plan.execute(DecoderGraph.NAME);
            step++;
            rowSentence = sentences;
            if (request == null) {
                return null;
            }
            float[] logits = null;
            if (request.keepLogits()) {
                result.transferToHost(b.logits);
                logits = b.logits.toHeapArray(n * config.vocabSize());
            }
            int[] topTokens = b.topTokens.toHeapArray(n * k);
            float[] topScores = b.topScores.toHeapArray(n * k);
            return new Candidates(k, topTokens, topScores, logits);
        }

        private void setConstraints(StepRequest request, int n) {
            int[] forced = request.forcedToken();
            if (forced.length != n) {
                throw new IllegalArgumentException("forcedToken has " + forced.length + " entries for " + n + " rows");
            }
            int[] bannedRows = request.bannedRows();
            if (bannedRows.length > b.bannedCapacity) {
                throw new IllegalArgumentException(bannedRows.length + " banned (row, token) pairs in one step; the"
                        + " device holds at most " + b.bannedCapacity);
            }
            for (int r = 0; r < n; r++) {
                b.forced.set(r, forced[r]);
            }
            // The device looks up each row's bans by binary search: send them sorted by row (row and
            // index packed in one long, so the per-step sort boxes nothing).
            long[] byRow = new long[bannedRows.length];
            for (int i = 0; i < byRow.length; i++) {
                byRow[i] = (long) bannedRows[i] << 32 | i;
            }
            Arrays.sort(byRow);
            for (int i = 0; i < byRow.length; i++) {
                int from = (int) byRow[i];
                b.bannedRows.set(i, bannedRows[from]);
                b.bannedTokens.set(i, request.bannedTokens()[from]);
            }
            b.bannedCount.set(bannedRows.length);
        }
    }

    private static int[] identity(int n) {
        int[] a = new int[n];
        Arrays.setAll(a, i -> i);
        return a;
    }

    /** Row r -> r / beams: rows of a step that has every beam of every sentence, sentence-major. */
    private static int[] perBeam(int n, int beams) {
        int[] a = new int[n];
        Arrays.setAll(a, i -> i / beams);
        return a;
    }
}
