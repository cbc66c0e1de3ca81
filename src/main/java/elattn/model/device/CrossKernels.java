package elattn.model.device;

import elattn.kernel.FloatArray;
import elattn.kernel.IntArray;
import elattn.kernel.KernelContext;
import elattn.runtime.TaskFunctions.Task13;
import elattn.runtime.TaskFunctions.Task14;
import elattn.tasks.attention.Attention;
import java.util.Locale;

/**
 * The register-blocked kernels of EL cross-attention on GPUs (64 lanes of a sentence's beams and
 * heads x 128 keys or columns per work-group; see {@link Attention}): three variants of the same
 * computation that differ in how they spend registers. The default is the variant measured fastest
 * on an H200 (docs/benchmarks.md); {@code -Delattn.elCrossKernels=blocked|lean|narrow} picks
 * another, to compare them in whole generations on other GPUs.
 */
enum CrossKernels {
    /** {@link Attention#scoresBlocked}: 128 items of 8 x 8 outputs. */
    BLOCKED(Attention::scoresBlocked, Attention::contextBlocked, Attention.BLOCK_GROUP),
    /** {@link Attention#scoresLean}: BLOCKED within 128 registers, double-buffered tiles. */
    LEAN(Attention::scoresLean, Attention::contextLean, Attention.BLOCK_GROUP),
    /** {@link Attention#scoresNarrow}: 256 items of 4 x 8 outputs. */
    NARROW(Attention::scoresNarrow, Attention::contextNarrow, Attention.NARROW_GROUP);

    /** System property that overrides {@link #DEFAULT}. */
    static final String PROPERTY = "elattn.elCrossKernels";
    static final CrossKernels DEFAULT = BLOCKED;

    final Task14<KernelContext, FloatArray, FloatArray, IntArray, IntArray, FloatArray, Integer, Integer, Integer,
            Integer, Integer, Integer, Integer, Float> scores;
    final Task13<KernelContext, FloatArray, FloatArray, IntArray, IntArray, FloatArray, Integer, Integer, Integer,
            Integer, Integer, Integer, Integer> context;
    /** Work-group size (1-D). */
    final int group;

    CrossKernels(Task14<KernelContext, FloatArray, FloatArray, IntArray, IntArray, FloatArray, Integer, Integer,
            Integer, Integer, Integer, Integer, Integer, Float> scores,
            Task13<KernelContext, FloatArray, FloatArray, IntArray, IntArray, FloatArray, Integer, Integer, Integer,
                    Integer, Integer, Integer, Integer> context, int group) {
        this.scores = scores;
        this.context = context;
        this.group = group;
    }

    /** The global size for {@code rows} rows over {@code n} keys (scores) or columns (context). */
    long[] grid(int rows, int heads, int headStride, int n) {
        return this == NARROW ? Attention.narrowGrid(rows, heads, headStride, n)
                : Attention.blockedGrid(rows, heads, headStride, n);
    }

    /** {@link #DEFAULT}, or the variant {@value #PROPERTY} names. */
    static CrossKernels chosen() {
        String named = System.getProperty(PROPERTY);
        if (named == null || named.isBlank()) {
            return DEFAULT;
        }
        try {
            return valueOf(named.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("-D" + PROPERTY + "=" + named + " is not a cross-attention kernel"
                    + " variant; use blocked, lean or narrow", e);
        }
    }
}
