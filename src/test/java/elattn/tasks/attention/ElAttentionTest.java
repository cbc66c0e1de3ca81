package elattn.tasks.attention;

import static elattn.testing.HostArrays.assertClose;
import static elattn.testing.HostArrays.randomFloats;
import static elattn.testing.HostArrays.randomHalfs;
import static elattn.testing.Plans.executeOnce;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.kernel.KernelContext;
import elattn.runtime.DataTransferMode;
import elattn.runtime.TaskGraph;
import elattn.runtime.WorkerGrid2D;
import elattn.tasks.Gemm;
import elattn.testing.TestDevices;
import elattn.testing.TestDevices.TestDevice;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * EL-attention's two weight projections with fp16 weights ({@code expandQueryHalf},
 * {@code projectHeadsHalf}), their per-output work-group forms ({@code projectHeadsGroup[Half]}) and
 * their register-blocked form ({@link Gemm#weightsBlocked} with the heads as batch, fp32 and fp16),
 * on every test device against the formulas of {@link ElAttention} computed here in double from the
 * same weights (fp16 weights exactly widened, so the tolerance is fp32 accumulation only). The fp32
 * loop forms are checked end to end in {@link AttentionTest}.
 */
class ElAttentionTest {
    private static final int ROWS = 5;
    private static final int HEADS = 3;
    private static final int HEAD_DIM = 7;
    private static final int D = HEADS * HEAD_DIM;

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void expandQueryHalf(TestDevice device) {
        FloatArray q = randomFloats(ROWS * D, 1);
        HalfFloatArray wk = randomHalfs(D * D, 2);
        FloatArray qt = new FloatArray(ROWS * HEADS * D);
        TaskGraph graph = new TaskGraph("el").transferToDevice(DataTransferMode.FIRST_EXECUTION, q, wk)
                .task("expand", ElAttention::expandQueryHalf, q, wk, qt, ROWS, HEADS, HEAD_DIM, D)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, qt);
        executeOnce(device, graph);
        assertClose(expanded(q, FloatArray.fromArray(wk.toHeapArray()), qt.getSize(), 0f, ROWS, HEADS, HEAD_DIM),
                qt.toHeapArray(), 1e-5f, "expandQueryHalf on " + device);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void projectHeadsHalf(TestDevice device) {
        FloatArray ctx = randomFloats(ROWS * HEADS * D, 3);
        HalfFloatArray wv = randomHalfs(D * D, 4);
        FloatArray bv = randomFloats(D, 5);
        FloatArray out = new FloatArray(ROWS * D);
        TaskGraph graph = new TaskGraph("el").transferToDevice(DataTransferMode.FIRST_EXECUTION, ctx, wv, bv)
                .task("value", ElAttention::projectHeadsHalf, ctx, wv, bv, out, ROWS, HEADS, HEAD_DIM, D)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        executeOnce(device, graph);
        FloatArray widened = FloatArray.fromArray(wv.toHeapArray());
        assertClose(projected(ctx, widened, bv, out.getSize(), 0f, ROWS, HEADS, HEAD_DIM), out.toHeapArray(), 1e-5f,
                "projectHeadsHalf on " + device);
    }

    static Stream<Arguments> devicesAndPrecisions() {
        return TestDevices.devices().flatMap(d -> Stream.of(Arguments.of(d, false), Arguments.of(d, true)));
    }

    @ParameterizedTest(name = "{0} fp16={1}")
    @MethodSource("devicesAndPrecisions")
    void projectHeadsGroup(TestDevice device, boolean half) {
        int rows = 2 * ElAttention.ROW_BLOCK + 3; // a partial last row block
        FloatArray ctx = randomFloats(rows * HEADS * D, 6);
        HalfFloatArray wHalf = randomHalfs(D * D, 7);
        FloatArray wv = FloatArray.fromArray(wHalf.toHeapArray());
        FloatArray bv = randomFloats(D, 8);
        FloatArray out = new FloatArray(rows * D);
        TaskGraph graph = new TaskGraph("el").transferToDevice(DataTransferMode.FIRST_EXECUTION, ctx, wv, wHalf, bv);
        if (half) {
            graph.task("value", ElAttention::projectHeadsGroupHalf, new KernelContext(), ctx, wHalf, bv, out, rows,
                    HEADS, HEAD_DIM, D);
        } else {
            graph.task("value", ElAttention::projectHeadsGroup, new KernelContext(), ctx, wv, bv, out, rows, HEADS,
                    HEAD_DIM, D);
        }
        graph.transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        long rowBlocks = (rows + ElAttention.ROW_BLOCK - 1) / ElAttention.ROW_BLOCK;
        executeOnce(device, graph, "el.value",
                new WorkerGrid2D((long) D * ElAttention.GROUP, rowBlocks).setLocalWork(ElAttention.GROUP, 1));
        assertClose(projected(ctx, wv, bv, out.getSize(), 0f, rows, HEADS, HEAD_DIM), out.toHeapArray(), 1e-5f,
                "projectHeadsGroup" + (half ? "Half" : "") + " on " + device);
    }

    /*
     * The register-blocked forms: 3 heads of 23 (d = 69: two 64-column blocks of q~, and neither k,
     * 23 or 69, a multiple of the 8-deep tile steps), 66 live rows of a 70-row buffer (two row blocks,
     * the second mostly past the live rows); the grid is sized for the buffer.
     */
    private static final int B_ROWS = 66;
    private static final int B_BUFFER_ROWS = 70;
    private static final int B_HEADS = 3;
    private static final int B_HEAD_DIM = 23;
    private static final int B_D = B_HEADS * B_HEAD_DIM;

    @ParameterizedTest(name = "{0} fp16={1}")
    @MethodSource("devicesAndPrecisions")
    void expandQueryBlocked(TestDevice device, boolean half) {
        FloatArray q = randomFloats(B_BUFFER_ROWS * B_D, 9);
        HalfFloatArray wHalf = randomHalfs(B_D * B_D, 10);
        FloatArray wk = FloatArray.fromArray(wHalf.toHeapArray());
        FloatArray qt = new FloatArray(B_BUFFER_ROWS * B_HEADS * B_D);
        qt.init(-3f); // rows past the live ones keep it
        TaskGraph graph = new TaskGraph("el").transferToDevice(DataTransferMode.FIRST_EXECUTION, q, wk, wHalf, qt);
        // No bias: q stands in for the unread array, as the model does.
        if (half) {
            graph.task("expand", Gemm::weightsBlockedHalf, new KernelContext(), q, B_D, wHalf, B_D, 0, q, 0, qt,
                    B_HEADS * B_D, B_ROWS, B_D, B_HEAD_DIM, 1);
        } else {
            graph.task("expand", Gemm::weightsBlocked, new KernelContext(), q, B_D, wk, B_D, 0, q, 0, qt,
                    B_HEADS * B_D, B_ROWS, B_D, B_HEAD_DIM, 1);
        }
        graph.transferToHost(DataTransferMode.EVERY_EXECUTION, qt);
        executeOnce(device, graph, "el.expand", Gemm.weightsGrid(B_BUFFER_ROWS, B_D, B_HEADS));
        assertClose(expanded(q, wk, qt.getSize(), -3f, B_ROWS, B_HEADS, B_HEAD_DIM), qt.toHeapArray(), 1e-5f,
                "expandQuery blocked fp16=" + half + " on " + device);
    }

    @ParameterizedTest(name = "{0} fp16={1}")
    @MethodSource("devicesAndPrecisions")
    void projectHeadsBlocked(TestDevice device, boolean half) {
        FloatArray ctx = randomFloats(B_BUFFER_ROWS * B_HEADS * B_D, 11);
        HalfFloatArray wHalf = randomHalfs(B_D * B_D, 12);
        FloatArray wv = FloatArray.fromArray(wHalf.toHeapArray());
        FloatArray bv = randomFloats(B_D, 13);
        FloatArray out = new FloatArray(B_BUFFER_ROWS * B_D);
        out.init(-3f);
        TaskGraph graph = new TaskGraph("el").transferToDevice(DataTransferMode.FIRST_EXECUTION, ctx, wv, wHalf, bv,
                out);
        if (half) {
            graph.task("value", Gemm::weightsBlockedHalf, new KernelContext(), ctx, B_HEADS * B_D, wHalf, B_D, 1, bv,
                    1, out, B_D, B_ROWS, B_HEAD_DIM, B_D, 1);
        } else {
            graph.task("value", Gemm::weightsBlocked, new KernelContext(), ctx, B_HEADS * B_D, wv, B_D, 1, bv, 1, out,
                    B_D, B_ROWS, B_HEAD_DIM, B_D, 1);
        }
        graph.transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        executeOnce(device, graph, "el.value", Gemm.weightsGrid(B_BUFFER_ROWS, B_HEAD_DIM, B_HEADS));
        assertClose(projected(ctx, wv, bv, out.getSize(), -3f, B_ROWS, B_HEADS, B_HEAD_DIM), out.toHeapArray(), 1e-5f,
                "projectHeads blocked fp16=" + half + " on " + device);
    }

    /** {@code qt[r,h,c] = q[r, h*dh..(h+1)*dh) . wk[h*dh..(h+1)*dh, c]} in double; the rest of the buffer {@code fill}. */
    private static float[] expanded(FloatArray q, FloatArray wk, int size, float fill, int rows, int heads, int dh) {
        int d = heads * dh;
        float[] expected = new float[size];
        Arrays.fill(expected, fill);
        for (int r = 0; r < rows; r++) {
            for (int h = 0; h < heads; h++) {
                for (int c = 0; c < d; c++) {
                    double sum = 0;
                    for (int i = 0; i < dh; i++) {
                        sum += (double) q.get(r * d + h * dh + i) * wk.get((h * dh + i) * d + c);
                    }
                    expected[(r * heads + h) * d + c] = (float) sum;
                }
            }
        }
        return expected;
    }

    /** {@code out[r, o] = ctx[r, o / dh, :] . wv[o, :] + bv[o]} in double; the rest of the buffer {@code fill}. */
    private static float[] projected(FloatArray ctx, FloatArray wv, FloatArray bv, int size, float fill, int rows,
            int heads, int dh) {
        int d = heads * dh;
        float[] expected = new float[size];
        Arrays.fill(expected, fill);
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < d; o++) {
                double sum = bv.get(o);
                for (int c = 0; c < d; c++) {
                    sum += (double) ctx.get((r * heads + o / dh) * d + c) * wv.get(o * d + c);
                }
                expected[r * d + o] = (float) sum;
            }
        }
        return expected;
    }
}
