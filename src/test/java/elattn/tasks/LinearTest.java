package elattn.tasks;

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

/** Every Linear form on every test device against a double-precision x W^T + b computed here. */
class LinearTest {
    private static final int ROWS = 11; // more than one row block of the work-group form, not a multiple
    private static final int IN = 93;   // not a multiple of the work-group size
    private static final int OUT = 37;

    /** y rows of the product for x rows starting at xOffset; untouched elements keep {@code fill}. */
    private static float[] reference(FloatArray x, int xOffset, FloatArray w, FloatArray b, int ySize, int yOffset,
            float fill) {
        float[] y = new float[ySize];
        java.util.Arrays.fill(y, fill);
        for (int r = 0; r < ROWS; r++) {
            for (int o = 0; o < OUT; o++) {
                double sum = b.get(o);
                for (int i = 0; i < IN; i++) {
                    sum += (double) x.get(xOffset + r * IN + i) * w.get(o * IN + i);
                }
                y[yOffset + r * OUT + o] = (float) sum;
            }
        }
        return y;
    }

    private static void run(TestDevice device, TaskGraph graph, FloatArray y, WorkerGrid2D grid) {
        graph.transferToHost(DataTransferMode.EVERY_EXECUTION, y);
        executeOnce(device, graph, "l.fc", grid);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void loopForm(TestDevice device) {
        FloatArray x = randomFloats(ROWS * IN, 1);
        FloatArray w = randomFloats(OUT * IN, 2);
        FloatArray b = randomFloats(OUT, 3);
        FloatArray y = new FloatArray(ROWS * OUT);
        run(device, new TaskGraph("l").task("fc", Linear::forward, x, w, b, y, ROWS, IN, OUT), y, null);
        assertClose(reference(x, 0, w, b, ROWS * OUT, 0, 0f), y.toHeapArray(), 1e-5f, "forward on " + device);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void sliceForm(TestDevice device) {
        int xOffset = 2 * IN + 5;
        int yOffset = 3 * OUT + 1;
        FloatArray x = randomFloats(xOffset + ROWS * IN + 7, 4);
        FloatArray w = randomFloats(OUT * IN, 5);
        FloatArray b = randomFloats(OUT, 6);
        FloatArray y = new FloatArray(yOffset + ROWS * OUT + 9);
        y.init(-3f);
        TaskGraph graph = new TaskGraph("l").transferToDevice(DataTransferMode.FIRST_EXECUTION, y)
                .task("fc", Linear::forwardSlice, x, xOffset, w, b, y, yOffset, ROWS, IN, OUT);
        run(device, graph, y, null);
        assertClose(reference(x, xOffset, w, b, y.getSize(), yOffset, -3f), y.toHeapArray(), 1e-5f,
                "forwardSlice on " + device);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void workGroupForm(TestDevice device) {
        FloatArray x = randomFloats(ROWS * IN, 7);
        FloatArray w = randomFloats(OUT * IN, 8);
        FloatArray b = randomFloats(OUT, 9);
        FloatArray y = new FloatArray(ROWS * OUT);
        WorkerGrid2D grid = new WorkerGrid2D((long) OUT * Linear.GROUP,
                (ROWS + Linear.ROW_BLOCK - 1) / Linear.ROW_BLOCK);
        grid.setLocalWork(Linear.GROUP, 1, 1);
        run(device, new TaskGraph("l").task("fc", Linear::forwardGroup, new KernelContext(), x, w, b, y, ROWS, IN, OUT),
                y, grid);
        assertClose(reference(x, 0, w, b, ROWS * OUT, 0, 0f), y.toHeapArray(), 1e-5f, "forwardGroup on " + device);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void halfWeights(TestDevice device) {
        FloatArray x = randomFloats(ROWS * IN, 10);
        HalfFloatArray w = randomHalfs(OUT * IN, 11);
        FloatArray b = randomFloats(OUT, 12);
        FloatArray y = new FloatArray(ROWS * OUT);
        run(device, new TaskGraph("l").task("fc", Linear::forwardHalf, x, w, b, y, ROWS, IN, OUT), y, null);
        // The same fp16-rounded weights, exactly widened: the error is fp32 accumulation only.
        FloatArray widened = FloatArray.fromArray(w.toHeapArray());
        assertClose(reference(x, 0, widened, b, ROWS * OUT, 0, 0f), y.toHeapArray(), 1e-5f, "forwardHalf on " + device);
    }
}
