package elattn.tasks;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.kernel.KernelContext;
import elattn.kernel.Parallel;

/**
 * Fully connected layer in PyTorch's {@code nn.Linear} layout:
 * {@code y[r, o] = sum_i x[r, i] * W[o, i] + b[o]} with row-major {@code x} (rows, in), {@code W}
 * (out, in), {@code b} (out) and {@code y} (rows, out). GPT-2's Conv1D weights are transposed to
 * this layout at load, so one kernel serves every family.
 *
 * <p>Loop forms ({@link #forward}, {@link #forwardSlice}) flatten (row, output) into one parallel
 * loop with the output index fastest: the JVM splits all of it over its threads even for one row,
 * and on a GPU neighbouring work items write neighbouring outputs and read the same {@code x}
 * element (a broadcast) while each streams its own contiguous {@code W} row. {@link #forwardGroup}
 * is the GPU form for decode steps (few rows, memory bound on {@code W}): a work-group per output
 * reads its {@code W} row with neighbouring items on neighbouring addresses (coalesced) and uses
 * each loaded weight for {@value #ROW_BLOCK} rows.
 *
 * <p>{@link #forwardHalf} is {@link #forward} with fp16 weight storage ({@link HalfFloatArray}: half
 * the memory and bandwidth of W); every weight is widened to fp32 on load and the sum accumulates in
 * fp32, so it equals {@link #forward} over the same (rounded) weights up to fp32 rounding.
 */
public final class Linear {
    /** Work-group size of {@link #forwardGroup}. */
    public static final int GROUP = 64;
    /** Rows one work-group of {@link #forwardGroup} computes (its grid's y dimension counts row blocks). */
    public static final int ROW_BLOCK = 8;

    private Linear() {
    }

    /** {@code y = x W^T + b} over {@code rows} rows. Loop form: any launch size. */
    public static void forward(FloatArray x, FloatArray w, FloatArray b, FloatArray y, int rows, int in, int out) {
        for (@Parallel int idx = 0; idx < rows * out; idx++) {
            int r = idx / out;
            int o = idx - r * out;
            y.set(idx, dot(x, r * in, w, o * in, in) + b.get(o));
        }
    }

    /**
     * {@link #forward} over a slice: rows start at element {@code xOffset} of {@code x} and
     * {@code yOffset} of {@code y} (rows contiguous, strides {@code in} and {@code out}), so a graph
     * can run a layer over part of a larger buffer. Loop form: any launch size.
     */
    public static void forwardSlice(FloatArray x, int xOffset, FloatArray w, FloatArray b, FloatArray y, int yOffset,
            int rows, int in, int out) {
        for (@Parallel int idx = 0; idx < rows * out; idx++) {
            int r = idx / out;
            int o = idx - r * out;
            y.set(yOffset + idx, dot(x, xOffset + r * in, w, o * in, in) + b.get(o));
        }
    }

    /** {@link #forward} with fp16 weights {@code w} (fp32 arithmetic and accumulation). Loop form: any launch size. */
    public static void forwardHalf(FloatArray x, HalfFloatArray w, FloatArray b, FloatArray y, int rows, int in,
            int out) {
        for (@Parallel int idx = 0; idx < rows * out; idx++) {
            int r = idx / out;
            int o = idx - r * out;
            y.set(idx, dotHalf(x, r * in, w, o * in, in) + b.get(o));
        }
    }

    private static float dotHalf(FloatArray x, int xBase, HalfFloatArray w, int wBase, int n) {
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            sum += x.get(xBase + i) * w.get(wBase + i);
        }
        return sum;
    }

    private static float dot(FloatArray x, int xBase, FloatArray w, int wBase, int n) {
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            sum += x.get(xBase + i) * w.get(wBase + i);
        }
        return sum;
    }

    /**
     * {@code y = x W^T + b}, work-group form. Launch a 2-D grid of global size
     * {@code (out * GROUP, ceil(rows / ROW_BLOCK))} and local size {@code (GROUP, 1)}: group
     * {@code (o, rb)} computes output {@code o} of rows {@code rb * ROW_BLOCK ..} (up to
     * {@code rows}), its items striding over {@code in} and then summing in local memory.
     */
    public static void forwardGroup(KernelContext ctx, FloatArray x, FloatArray w, FloatArray b, FloatArray y,
            int rows, int in, int out) {
        float[] partial = ctx.allocateFloatLocalArray(GROUP * ROW_BLOCK);
        int l = ctx.localIdx;
        int o = ctx.groupIdx;
        int r0 = ctx.groupIdy * ROW_BLOCK;
        int live = Math.min(ROW_BLOCK, rows - r0);
        float[] acc = new float[ROW_BLOCK];
        for (int i = l; i < in; i += GROUP) {
            float wi = w.get(o * in + i);
            for (int rr = 0; rr < live; rr++) {
                acc[rr] += x.get((r0 + rr) * in + i) * wi;
            }
        }
        for (int rr = 0; rr < ROW_BLOCK; rr++) {
            partial[rr * GROUP + l] = acc[rr];
        }
        for (int s = GROUP / 2; s > 0; s /= 2) {
            ctx.localBarrier();
            if (l < s) {
                for (int rr = 0; rr < ROW_BLOCK; rr++) {
                    partial[rr * GROUP + l] += partial[rr * GROUP + l + s];
                }
            }
        }
        ctx.localBarrier();
        if (l < live) {
            y.set((r0 + l) * out + o, partial[l * GROUP] + b.get(o));
        }
    }
}
