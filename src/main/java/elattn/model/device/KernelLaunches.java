package elattn.model.device;

import elattn.kernel.FloatArray;
import elattn.kernel.IntArray;
import elattn.kernel.KernelContext;
import elattn.runtime.ExecutionPlan;
import elattn.runtime.IntParam;
import elattn.runtime.TaskGraph;
import elattn.runtime.WorkerGrid;
import elattn.runtime.WorkerGrid1D;
import elattn.runtime.WorkerGrid2D;
import elattn.runtime.WorkerGrid3D;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import elattn.tasks.Gemm;
import elattn.tasks.LayerNorm;
import elattn.tasks.Linear;
import elattn.tasks.Logits;
import elattn.tasks.attention.ElAttention;

/**
 * The kernel forms of one plan's graphs and the launch grids of their work-group tasks: adds the
 * tasks whose kernel has a loop and a work-group form in the plan's {@link KernelForms}. A builder
 * that adds a {@code KernelContext} task registers its grid here with a function that sizes it
 * from the plan's {@code IntParam}s (live rows, key count); {@link #register} hands every grid to
 * the plan once, and {@link #resize} recomputes them when the step's counts change (the plan reads
 * each mutable grid at every execute).
 */
final class KernelLaunches {
    private record Launch(String task, WorkerGrid grid, Supplier<long[]> global) {
    }

    /**
     * The forms of a product with a weight matrix ({@code rows x cols} outputs, possibly
     * {@code batch} of them, as EL's per-head projections), chosen by {@link #productForm}.
     */
    enum ProductForm {
        /** The loop form ({@link KernelForms#LOOP} plans). */
        LOOP,
        /** 128 x 128 register blocks: {@link Linear#forwardTiled} (plain linears only). */
        TILED,
        /** 64 x 64 register blocks: {@link Gemm#weightsBlocked}. */
        BLOCKED,
        /**
         * Tensor cores in 128 x 128 blocks ({@link Gemm#hgemmTensorCore}), in plans that use them
         * (fp16 weights), where TILED would be taken (plain linears).
         */
        TENSOR_CORE,
        /**
         * Tensor cores in 64 x 64 blocks ({@link Gemm#weightsTensorCore}), in plans that use them,
         * where BLOCKED would be taken (a decode step's smaller linears, EL's per-head products).
         */
        TENSOR_CORE_BLOCKED,
        /**
         * One work-group per output and a few rows ({@link Linear#forwardGroup},
         * {@link ElAttention#projectHeadsGroup}); the loop form where a product has none (expandQuery).
         */
        PER_OUTPUT
    }

    /**
     * Fewest 128 x 128 blocks for which the tiled linear ({@link Linear#forwardTiled}) is taken:
     * about one per multiprocessor of a large GPU (an H200 has 132). The LM head has 393 blocks at
     * 128 rows, the encoder's linears thousands; a decode step's 512 x 4096 fc1 has 128.
     */
    static final long TILED_MIN_BLOCKS = 128;

    /**
     * Fewest 64 x 64 blocks (all heads together) for which a product not tiled takes
     * {@link Gemm#weightsBlocked} rather than the per-output form: a quarter of an H200's
     * multiprocessors. An estimate, not a measurement: with 32 blocks of 64 x 64 x 1024 (a 128-row
     * d x d linear of bart-large) each busy multiprocessor does 8 MFLOP in well under the ~0.1 ms the
     * per-output form takes (it re-reads x for every output); below that (a few rows, where reading W
     * once is all the work) the per-output form stays. KernelBenchmark's {@code linear} at rows 128
     * and 512 measures both forms to set it.
     */
    static final long BLOCKED_MIN_BLOCKS = 32;

    /**
     * Work-groups a {@link ProductForm#BLOCKED} product is split up to along its depth
     * ({@link Gemm#weightsBlocked}'s {@code splits}, summed by {@link Gemm#sumSplits}): about one per
     * multiprocessor of a large GPU. A decode step's linears over a few dozen rows have a dozen
     * 64 x 64 blocks (GPT-2's fc2 at 64 rows: 12), so unsplit most of the GPU idles while each
     * busy multiprocessor walks the whole depth.
     */
    static final long SPLIT_TARGET_BLOCKS = 128;

    /** Shallowest part of a split product: below it the parts' sum costs more than the split saves. */
    static final int SPLIT_MIN_DEPTH = 128;

    /**
     * How products are split along their depth: up to {@code targetBlocks} work-groups, parts at
     * least {@code minDepth} deep ({@link #SPLIT_TARGET_BLOCKS}, {@link #SPLIT_MIN_DEPTH}; tests
     * lower the depth to split small models; a target of 0 splits nothing).
     */
    record Split(long targetBlocks, int minDepth) {
        static final Split DEFAULT = new Split(Long.getLong("elattn.splitTargetBlocks", SPLIT_TARGET_BLOCKS),
                SPLIT_MIN_DEPTH);
        static final Split NONE = new Split(0, SPLIT_MIN_DEPTH);
    }

    private final KernelForms forms;
    private final boolean tensorCores;
    private final long tiledMinBlocks;
    private final long blockedMinBlocks;
    private final boolean rowAttentionForSharedKeys;
    private final Split split;
    private final List<Launch> launches = new ArrayList<>();
    /** Scratch for the parts of split products, by length: products of one shape share one array. */
    private final Map<Integer, FloatArray> splitParts = new HashMap<>();

    /**
     * @param tensorCores      whether the big products and EL's cross-attention run on tensor cores
     *                         (work-group forms only; see {@link DeviceModel#tensorCores})
     * @param tiledMinBlocks   see {@link #TILED_MIN_BLOCKS}
     * @param blockedMinBlocks see {@link #BLOCKED_MIN_BLOCKS} (tests lower both to run every form on small models)
     */
    KernelLaunches(KernelForms forms, boolean tensorCores, long tiledMinBlocks, long blockedMinBlocks) {
        this(forms, tensorCores, tiledMinBlocks, blockedMinBlocks, false, Split.NONE);
    }

    /**
     * @param rowAttentionForSharedKeys run EL's attention over the key table a sentence's rows share
     *                                  (cross-attention) in the row forms ({@code Attention.scoresRows}
     *                                  / {@code contextRows}, or their tensor-core twins: a work-group
     *                                  per row, H staged per row) instead of the blocked ones (a block
     *                                  of lanes stages H once): more work-groups where a sentence has
     *                                  few lanes (chosen by {@code DeviceModel})
     * @param split                     how {@link ProductForm#BLOCKED} products split along their depth
     */
    KernelLaunches(KernelForms forms, boolean tensorCores, long tiledMinBlocks, long blockedMinBlocks,
            boolean rowAttentionForSharedKeys, Split split) {
        if (tensorCores && forms != KernelForms.GROUP) {
            throw new IllegalArgumentException("tensor-core kernels are work-group forms: use KernelForms.GROUP");
        }
        this.forms = forms;
        this.tensorCores = tensorCores;
        this.tiledMinBlocks = tiledMinBlocks;
        this.blockedMinBlocks = blockedMinBlocks;
        this.rowAttentionForSharedKeys = rowAttentionForSharedKeys;
        this.split = split;
    }

    /** Whether EL's cross-attention takes the row forms (see the constructor). */
    boolean rowAttentionForSharedKeys() {
        return rowAttentionForSharedKeys;
    }

    /** Whether the graphs use the work-group forms. */
    boolean group() {
        return forms == KernelForms.GROUP;
    }

    /** Whether the graphs run their big products on tensor cores (fp16 operands, fp32 sums). */
    boolean tensorCores() {
        return tensorCores;
    }

    /**
     * The form of {@code batch} products of up to {@code rows x cols} outputs each, the one rule for
     * every product with a weight matrix (linears, EL's expandQuery and projectHeads, any
     * precision): in the loop forms {@link ProductForm#LOOP}; else the largest register blocks
     * that still give the GPU enough work-groups: {@link ProductForm#TILED} (where the product has
     * a tiled form, {@code tiledForm}) from {@link #TILED_MIN_BLOCKS} blocks of 128 x 128, then
     * {@link ProductForm#BLOCKED} from {@link #BLOCKED_MIN_BLOCKS} blocks of 64 x 64, also where
     * splitting its {@code depth} ({@link #splits}) reaches that many for more than
     * {@link Linear#ROW_BLOCK} rows, else {@link ProductForm#PER_OUTPUT} (a few rows: each
     * work-group of the per-output form reads its weights once for all of them). With
     * {@link #tensorCores}, a product that would be TILED is {@link ProductForm#TENSOR_CORE} and one
     * that would be BLOCKED {@link ProductForm#TENSOR_CORE_BLOCKED}: the same blocks (and splits), on
     * tensor cores.
     */
    ProductForm productForm(int rows, int cols, int batch, int depth, boolean tiledForm) {
        if (!group()) {
            return ProductForm.LOOP;
        }
        ProductForm form = ProductForm.PER_OUTPUT;
        long blocks = midBlocks(rows, cols, batch);
        if (tiledForm && blocks(rows, Gemm.BLOCK) * blocks(cols, Gemm.BLOCK) * batch >= tiledMinBlocks) {
            form = ProductForm.TILED;
        } else if (blocks >= blockedMinBlocks) {
            form = ProductForm.BLOCKED;
        } else if (rows > Linear.ROW_BLOCK && blocks * splits(rows, cols, batch, depth) >= blockedMinBlocks) {
            form = ProductForm.BLOCKED; // split along the depth
        }
        if (tensorCores && form == ProductForm.TILED) {
            return ProductForm.TENSOR_CORE;
        }
        return tensorCores && form == ProductForm.BLOCKED ? ProductForm.TENSOR_CORE_BLOCKED : form;
    }

    /**
     * How many parts along its {@code depth} a {@link ProductForm#BLOCKED} product of {@code batch}
     * products of up to {@code rows x cols} outputs is split into ({@link Split}): 1 where its 64 x 64
     * blocks already reach the target, else as many as reach it without parts shallower than the
     * minimum. Depends on the plan's capacity only, so every batch a plan hosts sums in the same order.
     */
    int splits(int rows, int cols, int batch, int depth) {
        long blocks = midBlocks(rows, cols, batch);
        if (blocks >= split.targetBlocks()) {
            return 1;
        }
        long wanted = (split.targetBlocks() + blocks - 1) / blocks;
        return (int) Math.max(1, Math.min(wanted, depth / split.minDepth()));
    }

    /** The 64 x 64 blocks ({@link Gemm#MID}) of {@code batch} products of {@code rows x cols} outputs. */
    private static long midBlocks(int rows, int cols, int batch) {
        return blocks(rows, Gemm.MID) * blocks(cols, Gemm.MID) * batch;
    }

    /** The scratch for {@code length} floats of split products' parts (one array per length and plan). */
    FloatArray splitParts(int length) {
        return splitParts.computeIfAbsent(length, FloatArray::deviceResident);
    }

    /**
     * The form of a plain linear over up to {@code rows} rows, {@code in} to {@code out} features:
     * {@link #productForm} with its tiled form, except that the tensor-core kernels copy 16-byte runs
     * along k, so a linear whose {@code in} is not a multiple of {@link Gemm#TC_K_MULTIPLE} takes
     * {@link ProductForm#BLOCKED} instead (the widths of real models all are).
     */
    ProductForm linearForm(int rows, int in, int out) {
        ProductForm form = productForm(rows, out, 1, in, true);
        boolean tensorCore = form == ProductForm.TENSOR_CORE || form == ProductForm.TENSOR_CORE_BLOCKED;
        return tensorCore && in % Gemm.TC_K_MULTIPLE != 0 ? ProductForm.BLOCKED : form;
    }

    /**
     * Registers the grid of task {@code task} of graph {@code g}: work-groups of {@code local} items,
     * global size {@code global.get()} (as many dimensions as {@code local}), recomputed by {@link #resize}.
     */
    void add(TaskGraph g, String task, Supplier<long[]> global, long... local) {
        long[] size = atLeastOneGroup(global.get(), local);
        WorkerGrid grid = switch (local.length) {
            case 1 -> new WorkerGrid1D(size[0]);
            case 2 -> new WorkerGrid2D(size[0], size[1]);
            case 3 -> new WorkerGrid3D(size[0], size[1], size[2]);
            default -> throw new IllegalArgumentException("grids have 1 to 3 dimensions, not " + local.length);
        };
        grid.setLocalWork(local);
        launches.add(new Launch(g.getName() + "." + task, grid, () -> atLeastOneGroup(global.get(), local)));
    }

    /** Gives every registered grid to {@code plan}. */
    void register(ExecutionPlan plan) {
        for (Launch l : launches) {
            plan.withGrid(l.task(), l.grid());
        }
    }

    /** Resizes every grid from the current values of the parameters its size function reads. */
    void resize() {
        for (Launch l : launches) {
            l.grid().setGlobalWork(l.global().get());
        }
    }

    /**
     * A grid may not be empty: with no live rows (when the graphs are built, before the first
     * {@link #resize}; or an LM head without scored rows) a launch gets one work-group per dimension,
     * and the kernels with a row bound skip it.
     */
    private static long[] atLeastOneGroup(long[] global, long[] local) {
        long[] out = global.clone();
        for (int d = 0; d < out.length; d++) {
            out[d] = Math.max(out[d], local[d]);
        }
        return out;
    }

    /** {@code ceil(n / block)}, at least 1 (a grid may not be empty; groups past the work return at once). */
    static long blocks(int n, int block) {
        return Math.max(1, (n + block - 1) / block);
    }

    /** {@code out = LayerNorm(in)} over {@code rows} rows: {@link LayerNorm#rows} or one work-group per row. */
    void layerNorm(TaskGraph g, String name, FloatArray in, FloatArray out, FloatArray gamma, FloatArray beta,
            IntParam rows, int d, float eps) {
        if (group()) {
            g.task(name, LayerNorm::rowsGroup, new KernelContext(), in, out, gamma, beta, d, eps);
            add(g, name, () -> new long[] {(long) rows.get() * LayerNorm.GROUP}, LayerNorm.GROUP);
        } else {
            g.task(name, LayerNorm::rows, in, out, gamma, beta, rows, d, eps);
        }
    }

    /**
     * Post-norm residual over {@code rows} rows: {@code x += y}, then {@code out = LayerNorm(x)}
     * ({@code x} keeps the sum; {@code y} a product, possibly in parts): {@link LayerNorm#residualRows}
     * or one work-group per row ({@link LayerNorm#residualRowsGroup}; groups past the live rows return).
     */
    void residualLayerNorm(TaskGraph g, String name, FloatArray x, DeviceWeights.Product y, FloatArray out,
            FloatArray gamma, FloatArray beta, IntParam rows, int d, float eps) {
        if (group()) {
            g.task(name, LayerNorm::residualRowsGroup, new KernelContext(), x, y.values(), y.splits(), out, gamma, beta,
                    rows, d, eps);
            add(g, name, () -> new long[] {(long) rows.get() * LayerNorm.GROUP}, LayerNorm.GROUP);
        } else {
            g.task(name, LayerNorm::residualRows, x, y.values(), y.splits(), out, gamma, beta, rows, d, eps);
        }
    }

    /**
     * Log-softmax, constraints and top-k of the first {@code scoredRows} of {@code rows} rows:
     * {@link Logits#logSoftmaxTopK} or one work-group per row (groups past {@code scoredRows} return).
     */
    void topK(TaskGraph g, String name, FloatArray logits, IntParam rows, IntParam scoredRows, int vocab,
            IntArray forced, IntArray bannedRows, IntArray bannedTokens, IntParam bannedCount, IntParam k,
            IntArray topTokens, FloatArray topScores) {
        if (group()) {
            g.task(name, Logits::logSoftmaxTopKGroup, new KernelContext(), logits, scoredRows, vocab, forced,
                    bannedRows, bannedTokens, bannedCount, k, 0, topTokens, topScores);
            add(g, name, () -> new long[] {(long) rows.get() * Logits.GROUP}, Logits.GROUP);
        } else {
            g.task(name, Logits::logSoftmaxTopK, logits, scoredRows, vocab, forced, bannedRows, bannedTokens,
                    bannedCount, k, 0, topTokens, topScores);
        }
    }

    /** The current value of a task's int argument: an {@code Integer} or an {@link IntParam}. */
    static int value(Object intArgument) {
        return intArgument instanceof IntParam p ? p.get() : (Integer) intArgument;
    }
}
