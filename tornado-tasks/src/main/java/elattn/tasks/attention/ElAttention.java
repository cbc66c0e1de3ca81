package elattn.tasks.attention;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
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
 */
public final class ElAttention {
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
}
