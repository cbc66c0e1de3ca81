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
import java.util.List;
import java.util.function.Supplier;
import elattn.tasks.LayerNorm;
import elattn.tasks.Linear;
import elattn.tasks.Logits;

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
     * Fewest 128 x 128 blocks for which the tiled linear ({@link Linear#forwardTiled}) beats one
     * work-group per output ({@link Linear#forwardGroup}): about one per multiprocessor of a large
     * GPU (a decode step's 128 x 1024 products have 8 blocks: the per-output form keeps every
     * multiprocessor busy; the LM head has 393, the encoder's linears thousands).
     */
    static final long TILED_MIN_BLOCKS = 128;

    private final KernelForms forms;
    private final long tiledMinBlocks;
    private final List<Launch> launches = new ArrayList<>();

    /** @param tiledMinBlocks see {@link #TILED_MIN_BLOCKS} (tests lower it to run the tiled form on small models) */
    KernelLaunches(KernelForms forms, long tiledMinBlocks) {
        this.forms = forms;
        this.tiledMinBlocks = tiledMinBlocks;
    }

    /** Whether the graphs use the work-group forms. */
    boolean group() {
        return forms == KernelForms.GROUP;
    }

    /** Whether a linear of up to {@code rows x out} outputs takes the tiled form (in the work-group forms). */
    boolean tiled(int rows, int out) {
        long[] global = Linear.tiledGrid(Math.max(1, rows), out).getGlobalWork();
        long[] local = Linear.tiledGrid(1, 1).getLocalWork();
        return group() && global[0] / local[0] * (global[1] / local[1]) >= tiledMinBlocks;
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
     * ({@code x} keeps the sum): {@link LayerNorm#residualRows} or one work-group per row
     * ({@link LayerNorm#residualRowsGroup}; groups past the live rows return).
     */
    void residualLayerNorm(TaskGraph g, String name, FloatArray x, FloatArray y, FloatArray out, FloatArray gamma,
            FloatArray beta, IntParam rows, int d, float eps) {
        if (group()) {
            g.task(name, LayerNorm::residualRowsGroup, new KernelContext(), x, y, out, gamma, beta, rows, d, eps);
            add(g, name, () -> new long[] {(long) rows.get() * LayerNorm.GROUP}, LayerNorm.GROUP);
        } else {
            g.task(name, LayerNorm::residualRows, x, y, out, gamma, beta, rows, d, eps);
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
