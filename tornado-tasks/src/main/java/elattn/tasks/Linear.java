package elattn.tasks;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.kernel.KernelContext;
import elattn.kernel.Parallel;
import elattn.runtime.WorkerGrid2D;

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
 *
 * <p>{@link #forwardTiled} and {@link #forwardTiledHalf} are the GPU forms for the big products
 * (encoder layers over many rows, the LM head): {@link Gemm#sgemmBlocked}'s register blocking with
 * B = W^T, both tiles read along {@code in}. Mid-size products (a decode step over a few hundred
 * rows) run {@link Gemm#weightsBlocked} ({@code byOutput} W, 64x64 blocks); {@link #forwardGroupHalf}
 * is {@link #forwardGroup} for fp16 weights. The model picks among them per product
 * ({@code KernelLaunches.productForm}).
 */
public final class Linear {
    /** Work-group size of {@link #forwardGroup}. */
    public static final int GROUP = 64;
    /** Rows one work-group of {@link #forwardGroup} computes (its grid's y dimension counts row blocks). */
    public static final int ROW_BLOCK = 8;

    private static final int BLOCK = Gemm.BLOCK;
    private static final int BLOCK_K = Gemm.BLOCK_K;
    private static final int MICRO = Gemm.MICRO;
    private static final int THREADS = Gemm.THREADS;
    private static final int STRIDE = Gemm.TILE_STRIDE;
    /** Rows of a tile (x or W) that one pass of the 256 items copies: 256 / BLOCK_K = 32. */
    private static final int ROWS_PER_PASS = THREADS * THREADS / BLOCK_K;
    /** A micro-tile row (column) is two runs of 4 consecutive rows (columns), BLOCK / 2 apart. */
    private static final int RUN = 4;
    /** Elements of each of the x and W tiles that one item copies per step: BLOCK / ROWS_PER_PASS = 4. */
    private static final int LOADS = BLOCK / ROWS_PER_PASS;

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

    /**
     * {@link #forwardGroup} with fp16 weights {@code w} (fp32 arithmetic and accumulation). Same grid.
     * The body repeats {@link #forwardGroup}'s: precision is the array type in the kernel language.
     */
    public static void forwardGroupHalf(KernelContext ctx, FloatArray x, HalfFloatArray w, FloatArray b, FloatArray y,
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

    /**
     * {@code y = x W^T + b}, register-blocked as {@link Gemm#sgemmBlocked} (C = y, A = x, B = W^T).
     * Launch a 2-D grid of global size {@code (ceil(out / 128) * 16, ceil(rows / 128) * 16)} and
     * local size {@code (16, 16)} ({@link #tiledGrid}): work-group {@code (gx, gy)} computes outputs
     * {@code gx * 128 ..} of rows {@code gy * 128 ..}; any rows, in, out are correct.
     *
     * <p>Per step of 8 along {@code in}, the x tile (128 rows x 8) and the W tile (128 outputs x 8)
     * (read into registers during the previous step's arithmetic) are each read 8 consecutive {@code in} values per row (32-byte sectors, W rows being
     * contiguous along {@code in}) and stored transposed in local memory, so the inner loop reads
     * both as runs of 4 consecutive floats; each item then does 64 FMAs per step of its 8x8
     * accumulators. With 128x128 blocks a product needs about 100+ work-groups to fill a large GPU
     * (rows x out of at least ~1.5M): for a few rows use {@link #forwardGroup}.
     */
    public static void forwardTiled(KernelContext ctx, FloatArray x, FloatArray w, FloatArray b, FloatArray y,
            int rows, int in, int out) {
        float[] tileX = ctx.allocateFloatLocalArray(BLOCK_K * STRIDE);
        float[] tileW = ctx.allocateFloatLocalArray(BLOCK_K * STRIDE);
        int tx = ctx.localIdx;
        int ty = ctx.localIdy;
        int id = ty * THREADS + tx;
        int row0 = ctx.groupIdy * BLOCK;
        int col0 = ctx.groupIdx * BLOCK;
        int lr = id / BLOCK_K;
        int li = id % BLOCK_K;
        float[] acc = new float[MICRO * MICRO];
        float[] rx = new float[MICRO];
        float[] rw = new float[MICRO];
        // The next step's tile elements, read from global memory while this step computes.
        float[] nextX = new float[LOADS];
        float[] nextW = new float[LOADS];
        for (int l = 0; l < LOADS; l++) {
            nextX[l] = elementOrZero(x, row0 + lr + l * ROWS_PER_PASS, rows, li, in);
            nextW[l] = elementOrZero(w, col0 + lr + l * ROWS_PER_PASS, out, li, in);
        }
        for (int t = 0; t < in; t += BLOCK_K) {
            for (int l = 0; l < LOADS; l++) {
                tileX[li * STRIDE + lr + l * ROWS_PER_PASS] = nextX[l];
                tileW[li * STRIDE + lr + l * ROWS_PER_PASS] = nextW[l];
            }
            ctx.localBarrier();
            for (int l = 0; l < LOADS; l++) {
                nextX[l] = elementOrZero(x, row0 + lr + l * ROWS_PER_PASS, rows, t + BLOCK_K + li, in);
                nextW[l] = elementOrZero(w, col0 + lr + l * ROWS_PER_PASS, out, t + BLOCK_K + li, in);
            }
            for (int p = 0; p < BLOCK_K; p++) {
                for (int i = 0; i < MICRO; i++) {
                    rx[i] = tileX[p * STRIDE + i / RUN * (BLOCK / 2) + ty * RUN + i % RUN];
                    rw[i] = tileW[p * STRIDE + i / RUN * (BLOCK / 2) + tx * RUN + i % RUN];
                }
                for (int i = 0; i < MICRO; i++) {
                    for (int j = 0; j < MICRO; j++) {
                        acc[i * MICRO + j] += rx[i] * rw[j];
                    }
                }
            }
            ctx.localBarrier();
        }
        for (int j = 0; j < MICRO; j++) {
            int col = col0 + j / RUN * (BLOCK / 2) + tx * RUN + j % RUN;
            rw[j] = col < out ? b.get(col) : 0f;
        }
        for (int i = 0; i < MICRO; i++) {
            int row = row0 + i / RUN * (BLOCK / 2) + ty * RUN + i % RUN;
            for (int j = 0; j < MICRO; j++) {
                int col = col0 + j / RUN * (BLOCK / 2) + tx * RUN + j % RUN;
                if (row < rows && col < out) {
                    y.set(row * out + col, acc[i * MICRO + j] + rw[j]);
                }
            }
        }
    }

    /**
     * {@link #forwardTiled} with fp16 weights {@code w} (widened to fp32 as they are staged in local
     * memory; fp32 arithmetic and accumulation). Same grid ({@link #tiledGrid}). The body repeats
     * {@link #forwardTiled}'s: the kernel language has no way to pass local or private arrays to a
     * shared device function.
     */
    public static void forwardTiledHalf(KernelContext ctx, FloatArray x, HalfFloatArray w, FloatArray b, FloatArray y,
            int rows, int in, int out) {
        float[] tileX = ctx.allocateFloatLocalArray(BLOCK_K * STRIDE);
        float[] tileW = ctx.allocateFloatLocalArray(BLOCK_K * STRIDE);
        int tx = ctx.localIdx;
        int ty = ctx.localIdy;
        int id = ty * THREADS + tx;
        int row0 = ctx.groupIdy * BLOCK;
        int col0 = ctx.groupIdx * BLOCK;
        int lr = id / BLOCK_K;
        int li = id % BLOCK_K;
        float[] acc = new float[MICRO * MICRO];
        float[] rx = new float[MICRO];
        float[] rw = new float[MICRO];
        // The next step's tile elements, read from global memory while this step computes.
        float[] nextX = new float[LOADS];
        float[] nextW = new float[LOADS];
        for (int l = 0; l < LOADS; l++) {
            nextX[l] = elementOrZero(x, row0 + lr + l * ROWS_PER_PASS, rows, li, in);
            nextW[l] = halfOrZero(w, col0 + lr + l * ROWS_PER_PASS, out, li, in);
        }
        for (int t = 0; t < in; t += BLOCK_K) {
            for (int l = 0; l < LOADS; l++) {
                tileX[li * STRIDE + lr + l * ROWS_PER_PASS] = nextX[l];
                tileW[li * STRIDE + lr + l * ROWS_PER_PASS] = nextW[l];
            }
            ctx.localBarrier();
            for (int l = 0; l < LOADS; l++) {
                nextX[l] = elementOrZero(x, row0 + lr + l * ROWS_PER_PASS, rows, t + BLOCK_K + li, in);
                nextW[l] = halfOrZero(w, col0 + lr + l * ROWS_PER_PASS, out, t + BLOCK_K + li, in);
            }
            for (int p = 0; p < BLOCK_K; p++) {
                for (int i = 0; i < MICRO; i++) {
                    rx[i] = tileX[p * STRIDE + i / RUN * (BLOCK / 2) + ty * RUN + i % RUN];
                    rw[i] = tileW[p * STRIDE + i / RUN * (BLOCK / 2) + tx * RUN + i % RUN];
                }
                for (int i = 0; i < MICRO; i++) {
                    for (int j = 0; j < MICRO; j++) {
                        acc[i * MICRO + j] += rx[i] * rw[j];
                    }
                }
            }
            ctx.localBarrier();
        }
        for (int j = 0; j < MICRO; j++) {
            int col = col0 + j / RUN * (BLOCK / 2) + tx * RUN + j % RUN;
            rw[j] = col < out ? b.get(col) : 0f;
        }
        for (int i = 0; i < MICRO; i++) {
            int row = row0 + i / RUN * (BLOCK / 2) + ty * RUN + i % RUN;
            for (int j = 0; j < MICRO; j++) {
                int col = col0 + j / RUN * (BLOCK / 2) + tx * RUN + j % RUN;
                if (row < rows && col < out) {
                    y.set(row * out + col, acc[i * MICRO + j] + rw[j]);
                }
            }
        }
    }

    /** Element (row, col) of a row-major rows x cols matrix, 0 outside it (the padding of edge tiles). */
    private static float elementOrZero(FloatArray a, int row, int rows, int col, int cols) {
        return row < rows && col < cols ? a.get(row * cols + col) : 0f;
    }

    /** {@link #elementOrZero} for fp16 storage, widened to fp32. */
    private static float halfOrZero(HalfFloatArray a, int row, int rows, int col, int cols) {
        return row < rows && col < cols ? a.get(row * cols + col) : 0f;
    }

    /**
     * The launch grid of {@link #forwardTiled} and {@link #forwardTiledHalf}: one 16 x 16 work-group
     * per 128 x 128 block of y. Host-side helper, not a kernel (the kernel compiler ignores it).
     */
    public static WorkerGrid2D tiledGrid(int rows, int out) {
        return Gemm.blockedGrid(rows, out);
    }
}
