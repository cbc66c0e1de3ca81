package elattn.tasks.attention;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.kernel.KernelContext;
import elattn.kernel.Parallel;

/**
 * The two projections that turn {@link Attention} over raw states H into EL-attention (Yan et al.,
 * 2021): keys and values are never materialised, the query is moved to the states' side instead.
 *
 * <pre>
 *   q (rows x d) ──► expandQuery: q~[r,h,:] = q[r, h*dh..(h+1)*dh) · W^K[h*dh..(h+1)*dh, :]   (rows x heads x d)
 *   q~, H        ──► Attention.scores / context (width d, headStride 0) ──► c[r,h,:] = Σ_s p_s H[s]  (rows x heads x d)
 *   c            ──► projectHeads: head[r, h*dh + i] = c[r,h,:] · W^V[h*dh + i, :] + b^V[h*dh + i]   (rows x d)
 * </pre>
 *
 * Exact because q·(W^K H_s + b^K) = (q W^K)·H_s + q·b^K and the last term is the same for every
 * key, so softmax drops it; and Σ_s p_s (W^V H_s + b^V) = W^V (Σ_s p_s H_s) + b^V since Σ_s p_s = 1.
 * Weights are in the {@code nn.Linear} layout (out, in) = (d, d). The {@code Half} forms read fp16
 * weights ({@link HalfFloatArray}) and compute and accumulate in fp32, as their fp32 forms do.
 * {@link #projectHeadsGroup} (fp16: {@link #projectHeadsGroupHalf}) is the GPU form of
 * {@link #projectHeads} for decode steps over few rows (as {@code Linear.forwardGroup}: coalesced
 * weight rows, each used for {@value #ROW_BLOCK} rows). Over more rows both projections are, per
 * head, matrix products with a slice of the weights, and run as the batched register-blocked
 * {@code Gemm.weightsBlocked} (batch = heads):
 * <pre>
 *   expandQuery  head h: (rows x dh) q[:, h*dh..)     times W^K[h*dh..(h+1)*dh, :]   (dh x d)  ─► q~[:, h, :]
 *   projectHeads head h: (rows x d)  c[:, h, :]       times W^V[h*dh..(h+1)*dh, :]ᵀ  (d x dh)  ─► out[:, h*dh..)
 * </pre>
 */
public final class ElAttention {
    /** Work-group size of {@link #projectHeadsGroup}. */
    public static final int GROUP = 64;
    /** Rows one work-group of {@link #projectHeadsGroup} computes. */
    public static final int ROW_BLOCK = 8;

    private ElAttention() {
    }

    /** Expanded queries {@code qt[r,h,c] = sum_i q[r, h*headDim + i] * wk[(h*headDim + i) * d + c]}. */
    public static void expandQuery(FloatArray q, FloatArray wk, FloatArray qt, int rows, int heads, int headDim,
            int d) {
        for (@Parallel int r = 0; r < rows; r++) {
            for (@Parallel int h = 0; h < heads; h++) {
                for (@Parallel int c = 0; c < d; c++) {
                    int qBase = r * d + h * headDim;
                    float sum = 0f;
                    for (int i = 0; i < headDim; i++) {
                        sum += q.get(qBase + i) * wk.get((h * headDim + i) * d + c);
                    }
                    qt.set((r * heads + h) * d + c, sum);
                }
            }
        }
    }

    /** Per-head value projection {@code out[r,o] = ctx[r, o/headDim, :] . wv[o,:] + bv[o]}. */
    public static void projectHeads(FloatArray ctx, FloatArray wv, FloatArray bv, FloatArray out, int rows,
            int heads, int headDim, int d) {
        for (@Parallel int r = 0; r < rows; r++) {
            for (@Parallel int o = 0; o < d; o++) {
                int h = o / headDim;
                int c0 = (r * heads + h) * d;
                float sum = bv.get(o);
                for (int c = 0; c < d; c++) {
                    sum += ctx.get(c0 + c) * wv.get(o * d + c);
                }
                out.set(r * d + o, sum);
            }
        }
    }

    /** {@link #expandQuery} with fp16 {@code wk}. */
    public static void expandQueryHalf(FloatArray q, HalfFloatArray wk, FloatArray qt, int rows, int heads,
            int headDim, int d) {
        for (@Parallel int r = 0; r < rows; r++) {
            for (@Parallel int h = 0; h < heads; h++) {
                for (@Parallel int c = 0; c < d; c++) {
                    int qBase = r * d + h * headDim;
                    float sum = 0f;
                    for (int i = 0; i < headDim; i++) {
                        sum += q.get(qBase + i) * wk.get((h * headDim + i) * d + c);
                    }
                    qt.set((r * heads + h) * d + c, sum);
                }
            }
        }
    }

    /** {@link #projectHeads} with fp16 {@code wv} (the bias stays fp32). */
    public static void projectHeadsHalf(FloatArray ctx, HalfFloatArray wv, FloatArray bv, FloatArray out, int rows,
            int heads, int headDim, int d) {
        for (@Parallel int r = 0; r < rows; r++) {
            for (@Parallel int o = 0; o < d; o++) {
                int h = o / headDim;
                int c0 = (r * heads + h) * d;
                float sum = bv.get(o);
                for (int c = 0; c < d; c++) {
                    sum += ctx.get(c0 + c) * wv.get(o * d + c);
                }
                out.set(r * d + o, sum);
            }
        }
    }

    /**
     * {@link #projectHeads}, work-group form. Launch a 2-D grid of global size
     * {@code (d * GROUP, ceil(rows / ROW_BLOCK))} and local size {@code (GROUP, 1)}: group
     * {@code (o, rb)} computes output {@code o} of rows {@code rb * ROW_BLOCK ..}, its items striding
     * over the {@code d} columns of {@code wv[o, :]} (coalesced) and of each row's context of head
     * {@code o / headDim}, then summing in local memory.
     */
    public static void projectHeadsGroup(KernelContext kc, FloatArray ctx, FloatArray wv, FloatArray bv,
            FloatArray out, int rows, int heads, int headDim, int d) {
        float[] partial = kc.allocateFloatLocalArray(GROUP * ROW_BLOCK);
        int l = kc.localIdx;
        int o = kc.groupIdx;
        int h = o / headDim;
        int r0 = kc.groupIdy * ROW_BLOCK;
        int live = Math.min(ROW_BLOCK, rows - r0);
        float[] acc = new float[ROW_BLOCK];
        for (int c = l; c < d; c += GROUP) {
            float w = wv.get(o * d + c);
            for (int rr = 0; rr < live; rr++) {
                acc[rr] += ctx.get(((r0 + rr) * heads + h) * d + c) * w;
            }
        }
        for (int rr = 0; rr < ROW_BLOCK; rr++) {
            partial[rr * GROUP + l] = acc[rr];
        }
        for (int s = GROUP / 2; s > 0; s /= 2) {
            kc.localBarrier();
            if (l < s) {
                for (int rr = 0; rr < ROW_BLOCK; rr++) {
                    partial[rr * GROUP + l] += partial[rr * GROUP + l + s];
                }
            }
        }
        kc.localBarrier();
        if (l < live) {
            out.set((r0 + l) * d + o, partial[l * GROUP] + bv.get(o));
        }
    }

    /**
     * {@link #projectHeadsGroup} with fp16 {@code wv} (the bias stays fp32). Same grid; the body
     * repeats {@link #projectHeadsGroup}'s (precision is the array type in the kernel language).
     */
    public static void projectHeadsGroupHalf(KernelContext kc, FloatArray ctx, HalfFloatArray wv, FloatArray bv,
            FloatArray out, int rows, int heads, int headDim, int d) {
        float[] partial = kc.allocateFloatLocalArray(GROUP * ROW_BLOCK);
        int l = kc.localIdx;
        int o = kc.groupIdx;
        int h = o / headDim;
        int r0 = kc.groupIdy * ROW_BLOCK;
        int live = Math.min(ROW_BLOCK, rows - r0);
        float[] acc = new float[ROW_BLOCK];
        for (int c = l; c < d; c += GROUP) {
            float w = wv.get(o * d + c);
            for (int rr = 0; rr < live; rr++) {
                acc[rr] += ctx.get(((r0 + rr) * heads + h) * d + c) * w;
            }
        }
        for (int rr = 0; rr < ROW_BLOCK; rr++) {
            partial[rr * GROUP + l] = acc[rr];
        }
        for (int s = GROUP / 2; s > 0; s /= 2) {
            kc.localBarrier();
            if (l < s) {
                for (int rr = 0; rr < ROW_BLOCK; rr++) {
                    partial[rr * GROUP + l] += partial[rr * GROUP + l + s];
                }
            }
        }
        kc.localBarrier();
        if (l < live) {
            out.set((r0 + l) * d + o, partial[l * GROUP] + bv.get(o));
        }
    }
}
