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
import elattn.testing.TestDevices.TestDevice;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * EL-attention's two weight projections with fp16 weights ({@code expandQueryHalf},
 * {@code projectHeadsHalf}), and the work-group form {@code projectHeadsGroup}, on every test device against the formulas of {@link ElAttention}
 * computed here in double from the same fp16 weights (so the tolerance is fp32 accumulation only).
 * The fp32 forms are checked end to end in {@link AttentionTest}.
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
        float[] expected = new float[ROWS * HEADS * D];
        for (int r = 0; r < ROWS; r++) {
            for (int h = 0; h < HEADS; h++) {
                for (int c = 0; c < D; c++) {
                    double sum = 0;
                    for (int i = 0; i < HEAD_DIM; i++) {
                        sum += (double) q.get(r * D + h * HEAD_DIM + i) * wk.get((h * HEAD_DIM + i) * D + c);
                    }
                    expected[(r * HEADS + h) * D + c] = (float) sum;
                }
            }
        }
        assertClose(expected, qt.toHeapArray(), 1e-5f, "expandQueryHalf on " + device);
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
        assertClose(projected(ctx, widened, bv, ROWS), out.toHeapArray(), 1e-5f, "projectHeadsHalf on " + device);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void projectHeadsGroup(TestDevice device) {
        int rows = 2 * ElAttention.ROW_BLOCK + 3; // a partial last row block
        FloatArray ctx = randomFloats(rows * HEADS * D, 6);
        FloatArray wv = randomFloats(D * D, 7);
        FloatArray bv = randomFloats(D, 8);
        FloatArray out = new FloatArray(rows * D);
        TaskGraph graph = new TaskGraph("el").transferToDevice(DataTransferMode.FIRST_EXECUTION, ctx, wv, bv)
                .task("value", ElAttention::projectHeadsGroup, new KernelContext(), ctx, wv, bv, out, rows, HEADS,
                        HEAD_DIM, D)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        long rowBlocks = (rows + ElAttention.ROW_BLOCK - 1) / ElAttention.ROW_BLOCK;
        executeOnce(device, graph, "el.value",
                new WorkerGrid2D((long) D * ElAttention.GROUP, rowBlocks).setLocalWork(ElAttention.GROUP, 1));
        assertClose(projected(ctx, wv, bv, rows), out.toHeapArray(), 1e-5f, "projectHeadsGroup on " + device);
    }

    /** {@code out[r, o] = ctx[r, o / HEAD_DIM, :] . wv[o, :] + bv[o]} in double. */
    private static float[] projected(FloatArray ctx, FloatArray wv, FloatArray bv, int rows) {
        float[] expected = new float[rows * D];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < D; o++) {
                double sum = bv.get(o);
                for (int c = 0; c < D; c++) {
                    sum += (double) ctx.get((r * HEADS + o / HEAD_DIM) * D + c) * wv.get(o * D + c);
                }
                expected[r * D + o] = (float) sum;
            }
        }
        return expected;
    }
}
