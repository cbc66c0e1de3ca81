package elattn.pipeline;

import elattn.generate.Batch;
import elattn.generate.GenerationConfig;
import elattn.generate.GenerationResult;
import elattn.generate.Generator;
import elattn.kernel.NativeArray;
import elattn.model.Checkpoint;
import elattn.model.FiniteWeights;
import elattn.model.ModelConfig;
import elattn.model.ModelWeights;
import elattn.model.Precision;
import elattn.model.device.AttentionMode;
import elattn.model.device.CacheBytes;
import elattn.model.device.DeviceModel;
import elattn.runtime.Device;
import elattn.runtime.DeviceOutOfMemoryException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A checkpoint folder ready to generate on a device, in a few lines:
 *
 * <pre>{@code
 * try (Pipeline bart = Pipeline.open(Path.of("my-bart"), Devices.defaultDevice(), AttentionMode.EL)) {
 *     GenerationResult out = bart.generate(new Batch(inputIds, attentionMask));   // generation_config.json
 *     GenerationResult two = bart.generate(batch, bart.generationConfig().toBuilder().numBeams(2).build());
 * }
 * }</pre>
 *
 * <p>It owns the memory-mapped checkpoint and the {@link DeviceModel}, whose device memory (weights,
 * built kernels) it keeps between calls of the same shape, so a stream of batches uploads the
 * weights once. Caches are sized per call from the generation config's lengths and beams.
 *
 * <p>{@link #open(Path, Device, AttentionMode, Precision)} chooses the storage precision of the
 * weights on the device ({@link Precision#FP16}: half the weight memory and bandwidth, fp32
 * arithmetic; see docs/models.md, "Precision"); the three-argument form stores them in fp32.
 */
public final class Pipeline implements AutoCloseable {
    /** The memory-mapped checkpoint, or null for a model built in code ({@link #of}). */
    private final Checkpoint checkpoint;
    private final ModelConfig config;
    private final ModelWeights<? extends NativeArray> weights;
    private final GenerationConfig generationConfig;
    private final Device device;
    private final AttentionMode mode;
    private DeviceModel model;
    private boolean tensorCores;
    private int modelSteps;
    private int modelBeams;
    private long peakDeviceBytes;

    private Pipeline(Checkpoint checkpoint, ModelConfig config, ModelWeights<? extends NativeArray> weights,
            GenerationConfig generationConfig, Device device, AttentionMode mode) {
        this.checkpoint = checkpoint;
        this.config = config;
        this.weights = weights;
        this.generationConfig = generationConfig;
        this.device = device;
        this.mode = mode;
    }

    /** Opens the checkpoint in {@code dir} (config, weights, generation config) for {@code device}, fp32 weights. */
    public static Pipeline open(Path dir, Device device, AttentionMode mode) {
        return open(dir, device, mode, Precision.FP32);
    }

    /**
     * Opens the checkpoint in {@code dir} for {@code device} with its weights stored in
     * {@code precision} ({@link Precision#FP32} or {@link Precision#FP16}), whatever dtype the file
     * has; computation is fp32 either way.
     */
    public static Pipeline open(Path dir, Device device, AttentionMode mode, Precision<?> precision) {
        return open(dir, device, mode, precision, true);
    }

    /**
     * As {@link #open(Path, Device, AttentionMode, Precision)}; {@code checkWeights} false skips
     * the check that every weight is finite ({@link FiniteWeights}, on in the other forms), which
     * refuses a checkpoint holding a NaN or infinite value with the tensor and file named.
     */
    public static Pipeline open(Path dir, Device device, AttentionMode mode, Precision<?> precision,
            boolean checkWeights) {
        Objects.requireNonNull(precision, "precision");
        Checkpoint checkpoint = Checkpoint.open(dir);
        try {
            ModelConfig config = ModelConfig.of(checkpoint);
            if (checkWeights) {
                FiniteWeights.require(checkpoint);
            }
            return new Pipeline(checkpoint, config, ModelWeights.load(checkpoint, config, precision),
                    GenerationConfig.fromCheckpoint(checkpoint.dir()), device, mode);
        } catch (RuntimeException e) {
            checkpoint.close();
            throw e;
        }
    }

    /**
     * A model built in code rather than read from a folder (a benchmark's seeded random weights,
     * {@code elattn.bench.RandomWeights}), with {@code generationConfig} as its defaults: it then
     * generates exactly as an opened checkpoint of the same config and weights would.
     */
    public static Pipeline of(ModelConfig config, ModelWeights<? extends NativeArray> weights,
            GenerationConfig generationConfig, Device device, AttentionMode mode) {
        return new Pipeline(null, Objects.requireNonNull(config, "config"), Objects.requireNonNull(weights, "weights"),
                Objects.requireNonNull(generationConfig, "generationConfig"), device, mode);
    }

    public ModelConfig config() {
        return config;
    }

    /** The checkpoint's generation defaults ({@code generation_config.json}, else config.json's). */
    public GenerationConfig generationConfig() {
        return generationConfig;
    }

    public Device device() {
        return device;
    }

    public AttentionMode mode() {
        return mode;
    }

    /** The storage precision of the weights on the device. */
    public Precision<?> precision() {
        return weights.precision();
    }

    /** Generates with the checkpoint's generation defaults. */
    public GenerationResult generate(Batch batch) {
        return generate(batch, generationConfig);
    }

    /**
     * Checks {@code generation} against this model before any work: the parameters
     * ({@link GenerationConfig#validate()}), token ids within the vocabulary, the candidates per row
     * beam search needs within what the device selects ({@link DeviceModel#MAX_TOP_K}: at most 32
     * beams with one EOS id) and lengths within the model's positions. Returns {@code generation}.
     *
     * @throws IllegalArgumentException naming the parameter and the limit
     */
    public GenerationConfig validate(GenerationConfig generation) {
        return generation.validateFor(config.vocabSize(), DeviceModel.MAX_TOP_K);
    }

    /**
     * Generates with {@code generation} (start from {@link #generationConfig()} to keep the defaults).
     *
     * @throws IllegalArgumentException    before any work, when {@link #validate} refuses the config or a
     *                                     prompt and its new tokens exceed the model's positions
     * @throws DeviceOutOfMemoryException when the batch does not fit the device; the model's device memory
     *                                     is freed then, so a smaller batch can follow
     */
    public GenerationResult generate(Batch batch, GenerationConfig generation) {
        validate(generation);
        int inputLength = config.encoderDecoder() ? 1 : batch.width();
        generation.checkFits(inputLength, config.maxPositions());
        int steps = Math.max(generation.lengths(inputLength).max(), inputLength + 1);
        DeviceModel m = modelFor(steps, generation.numBeams());
        m.generationSteps(steps - inputLength);
        GenerationResult result;
        try {
            result = Generator.generate(m, batch, generation);
        } catch (DeviceOutOfMemoryException | OutOfMemoryError e) {
            releaseModel();
            throw e;
        }
        peakDeviceBytes = Math.max(peakDeviceBytes, m.deviceBytes());
        return result;
    }

    /**
     * The most device memory the model's buffers (weights, attention caches, step scratch) have
     * occupied after any {@link #generate} call so far; 0 before the first. Buffers are allocated
     * for a whole batch and kept between calls of the same shape, so this is the peak of what
     * elattn allocated, not of the driver's own use.
     */
    public long peakDeviceBytes() {
        return peakDeviceBytes;
    }

    /** Cached attention state of the last call, per mode and kind (cross, self). */
    public CacheBytes cacheBytes() {
        if (model == null) {
            throw new IllegalStateException("nothing has been generated yet");
        }
        return model.cacheBytes();
    }

    /**
     * With {@code true}, the big products run on tensor cores ({@link DeviceModel#tensorCores}: fp16
     * operands, fp32 sums; outputs within fp16 rounding of fp32 arithmetic's). Needs a GPU with
     * tensor cores (CUDA, compute capability 8.0+) and weights opened in {@link Precision#FP16}.
     * Returns this pipeline.
     */
    public Pipeline tensorCores(boolean on) {
        if (on && weights.precision() != Precision.FP16) {
            throw new IllegalArgumentException("tensor cores multiply fp16 weights: add --dtype fp16");
        }
        if (on && !(device.isGpu() && device.hasTensorCores())) {
            throw new IllegalArgumentException(device.id() + " (" + device.name() + ") has no tensor cores:"
                    + " --tensor-cores needs a CUDA GPU of compute capability 8.0 or later (Ampere, Hopper)");
        }
        if (on != tensorCores) {
            releaseModel();
        }
        tensorCores = on;
        return this;
    }

    /**
     * The model for generations of {@code steps} decoder steps: the one kept if it has as many beams
     * and enough steps. A decoder-only model's steps include the prompt, whose width varies from
     * batch to batch: it gets steps rounded up to a multiple of {@link #STEP_QUANTUM}, and is kept
     * while a generation needs at least two thirds of them, so that batches of nearby prompt widths
     * share its plan (DeviceModel pads their prompts into it).
     */
    private DeviceModel modelFor(int steps, int beams) {
        boolean fits = model != null && modelBeams == beams && (config.encoderDecoder() ? modelSteps == steps
                : modelSteps >= steps && 2 * modelSteps <= 3 * roundedSteps(steps));
        if (!fits) {
            if (model != null) {
                model.release();
            }
            modelSteps = config.encoderDecoder() ? steps : roundedSteps(steps);
            model = new DeviceModel(config, weights, device, mode, modelSteps, beams).retainDeviceMemory(true)
                    .tensorCores(tensorCores);
            modelBeams = beams;
        }
        return model;
    }

    /** Steps a decoder-only model's caches are rounded up to a multiple of. */
    static final int STEP_QUANTUM = 32;

    private int roundedSteps(int steps) {
        return Math.min(config.maxPositions(), (steps + STEP_QUANTUM - 1) / STEP_QUANTUM * STEP_QUANTUM);
    }

    private void releaseModel() {
        if (model != null) {
            model.release();
            model = null;
        }
    }

    /** Frees the device memory and unmaps the checkpoint (if it was opened from one). */
    @Override
    public void close() {
        releaseModel();
        if (checkpoint != null) {
            checkpoint.close();
        }
    }
}
