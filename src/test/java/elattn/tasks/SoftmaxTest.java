package elattn.tasks;

import static elattn.testing.HostArrays.assertClose;
import static elattn.testing.HostArrays.copy;
import static elattn.testing.HostArrays.randomFloats;
import static elattn.testing.Plans.executeOnce;

import elattn.kernel.FloatArray;
import elattn.kernel.KernelContext;
import elattn.runtime.DataTransferMode;
import elattn.runtime.TaskGraph;
import elattn.runtime.WorkerGrid1D;
import elattn.testing.TestDevices.TestDevice;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Both softmax forms on every test device against a double-precision softmax computed here. */
class SoftmaxTest {
    private static final int ROWS = 5;
    private static final int COLS = 300; // not a multiple of the work-group size

    private static float[] reference(FloatArray x) {
        float[] out = new float[ROWS * COLS];
        for (int r = 0; r < ROWS; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < COLS; j++) {
                max = Math.max(max, x.get(r * COLS + j));
            }
            double sum = 0;
            for (int j = 0; j < COLS; j++) {
                sum += Math.exp(x.get(r * COLS + j) - max);
            }
            for (int j = 0; j < COLS; j++) {
                out[r * COLS + j] = (float) (Math.exp(x.get(r * COLS + j) - max) / sum);
            }
        }
        return out;
    }

    /** Logits spread over [-20, 20] so that the max subtraction matters. */
    private static FloatArray logits() {
        FloatArray x = randomFloats(ROWS * COLS, 7);
        for (int i = 0; i < x.getSize(); i++) {
            x.set(i, x.get(i) * 20);
        }
        return x;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void loopForm(TestDevice device) {
        FloatArray x = logits();
        float[] expected = reference(copy(x));
        TaskGraph graph = new TaskGraph("s").transferToDevice(DataTransferMode.FIRST_EXECUTION, x)
                .task("softmax", Softmax::rowsLoop, x, ROWS, COLS)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, x);
        executeOnce(device, graph);
        assertClose(expected, x.toHeapArray(), 1e-5f, "rowsLoop on " + device);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void workGroupForm(TestDevice device) {
        FloatArray x = logits();
        float[] expected = reference(copy(x));
        TaskGraph graph = new TaskGraph("s").transferToDevice(DataTransferMode.FIRST_EXECUTION, x)
                .task("softmax", Softmax::rows, new KernelContext(), x, COLS)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, x);
        WorkerGrid1D grid = new WorkerGrid1D(ROWS * Softmax.GROUP);
        grid.setLocalWork(Softmax.GROUP, 1, 1);
        executeOnce(device, graph, "s.softmax", grid);
        assertClose(expected, x.toHeapArray(), 1e-5f, "rows on " + device);
    }
}
