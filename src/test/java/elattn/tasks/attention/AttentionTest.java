package elattn.tasks.attention;

import static elattn.testing.HostArrays.assertClose;
import static elattn.testing.HostArrays.randomFloats;

import elattn.kernel.FloatArray;
import elattn.kernel.IntArray;
import elattn.runtime.DataTransferMode;
import elattn.runtime.ExecutionPlan;
import elattn.runtime.TaskGraph;
import elattn.testing.TestDevices.TestDevice;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * MHA and EL-attention on every test device against standard multi-head attention computed here in
 * double: keys and values projected with their biases, per-head softmax over the unpadded keys of
 * each row's sentence, weighted sum of values.
 */
class AttentionTest {
    private static final int SENTENCES = 3;
    private static final int WIDTH = 7; // source positions per sentence (padded)
    private static final int HEADS = 4;
    private static final int HEAD_DIM = 5;
    private static final int D = HEADS * HEAD_DIM;
    private static final int[] ROW_SENTENCE = {0, 0, 2, 1, 2, 2};
    private static final int ROWS = ROW_SENTENCE.length;
    private static final int[] LENGTHS = {7, 4, 1}; // real tokens per sentence; the rest is padding
    private static final float SCALE = (float) (1 / Math.sqrt(HEAD_DIM));

    private final FloatArray h = randomFloats(SENTENCES * WIDTH * D, 11);
    private final FloatArray q = randomFloats(ROWS * D, 12);
    private final FloatArray wk = randomFloats(D * D, 13);
    private final FloatArray bk = randomFloats(D, 14);
    private final FloatArray wv = randomFloats(D * D, 15);
    private final FloatArray bv = randomFloats(D, 16);
    private final IntArray keyTable = keyTable();
    private final IntArray rowMap = IntArray.fromArray(ROW_SENTENCE);

    private static IntArray keyTable() {
        IntArray t = new IntArray(SENTENCES * WIDTH);
        for (int s = 0; s < SENTENCES; s++) {
            for (int j = 0; j < WIDTH; j++) {
                t.set(s * WIDTH + j, j < LENGTHS[s] ? s * WIDTH + j : -1);
            }
        }
        return t;
    }

    /** rows x D projection of every state, x W^T + b, in double rounded to float. */
    private FloatArray project(FloatArray w, FloatArray b) {
        FloatArray out = new FloatArray(SENTENCES * WIDTH * D);
        for (int i = 0; i < SENTENCES * WIDTH; i++) {
            for (int o = 0; o < D; o++) {
                double sum = b.get(o);
                for (int c = 0; c < D; c++) {
                    sum += (double) h.get(i * D + c) * w.get(o * D + c);
                }
                out.set(i * D + o, (float) sum);
            }
        }
        return out;
    }

    private float[] reference() {
        FloatArray k = project(wk, bk);
        FloatArray v = project(wv, bv);
        float[] out = new float[ROWS * D];
        for (int r = 0; r < ROWS; r++) {
            int s = ROW_SENTENCE[r];
            for (int hd = 0; hd < HEADS; hd++) {
                double[] p = new double[LENGTHS[s]];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < LENGTHS[s]; j++) {
                    double dot = 0;
                    for (int i = 0; i < HEAD_DIM; i++) {
                        dot += (double) q.get(r * D + hd * HEAD_DIM + i) * k.get((s * WIDTH + j) * D + hd * HEAD_DIM + i);
                    }
                    p[j] = dot * SCALE;
                    max = Math.max(max, p[j]);
                }
                double sum = 0;
                for (int j = 0; j < p.length; j++) {
                    p[j] = Math.exp(p[j] - max);
                    sum += p[j];
                }
                for (int i = 0; i < HEAD_DIM; i++) {
                    double acc = 0;
                    for (int j = 0; j < p.length; j++) {
                        acc += p[j] / sum * v.get((s * WIDTH + j) * D + hd * HEAD_DIM + i);
                    }
                    out[r * D + hd * HEAD_DIM + i] = (float) acc;
                }
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void mhaOverProjectedKeysAndValues(TestDevice device) {
        FloatArray k = project(wk, bk);
        FloatArray v = project(wv, bv);
        FloatArray scores = new FloatArray(ROWS * HEADS * WIDTH);
        FloatArray out = new FloatArray(ROWS * D);
        TaskGraph graph = new TaskGraph("mha")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, q, k, v, keyTable, rowMap)
                .task("scores", Attention::scores, q, k, keyTable, rowMap, scores, ROWS, HEADS, HEAD_DIM, HEAD_DIM, D,
                        WIDTH, WIDTH, SCALE)
                .task("context", Attention::context, scores, v, keyTable, rowMap, out, ROWS, HEADS, HEAD_DIM, HEAD_DIM,
                        D, WIDTH, WIDTH)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        try (ExecutionPlan plan = new ExecutionPlan(graph.snapshot()).withDevice(device.get())) {
            plan.execute();
        }
        assertClose(reference(), out.toHeapArray(), 1e-5f, "MHA on " + device);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void elOverRawStatesEqualsMha(TestDevice device) {
        FloatArray qt = new FloatArray(ROWS * HEADS * D);
        FloatArray scores = new FloatArray(ROWS * HEADS * WIDTH);
        FloatArray ctx = new FloatArray(ROWS * HEADS * D);
        FloatArray out = new FloatArray(ROWS * D);
        TaskGraph graph = new TaskGraph("el")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, q, h, wk, wv, bv, keyTable, rowMap)
                .task("expand", ElAttention::expandQuery, q, wk, qt, ROWS, HEADS, HEAD_DIM, D)
                .task("scores", Attention::scores, qt, h, keyTable, rowMap, scores, ROWS, HEADS, D, 0, D, WIDTH, WIDTH,
                        SCALE)
                .task("context", Attention::context, scores, h, keyTable, rowMap, ctx, ROWS, HEADS, D, 0, D, WIDTH,
                        WIDTH)
                .task("value", ElAttention::projectHeads, ctx, wv, bv, out, ROWS, HEADS, HEAD_DIM, D)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        try (ExecutionPlan plan = new ExecutionPlan(graph.snapshot()).withDevice(device.get())) {
            plan.execute();
        }
        // k-bias dropped, v-bias after the projection: still the same attention, up to fp32 rounding.
        assertClose(reference(), out.toHeapArray(), 1e-5f, "EL on " + device);
    }
}
