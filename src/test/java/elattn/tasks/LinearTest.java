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
import elattn.runtime.WorkerGrid;
import elattn.runtime.WorkerGrid2D;
import elattn.testing.TestDevices;
import elattn.testing.TestDevices.TestDevice;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every Linear form (and Gemm.weightsBlocked as a linear) on every test device against a double-precision x W^T + b computed here. */
class LinearTest {
    private static final int ROWS = 11; // more than one row block of the work-group form, not a multiple
    private static final int IN = 93;   // not a multiple of the work-group size
    private static final int OUT = 37;

    /** y rows of the product for x rows starting at xOffset; untouched elements keep {@code fill}. */
    private static float[] reference(FloatArray x, int xOffset, FloatArray w, FloatArray b, int ySize, int yOffset,
            float fill) {
        return reference(x, xOffset, w, b, ySize, yOffset, fill, ROWS, IN, OUT);
    }

    private static float[] reference(FloatArray x, int xOffset, FloatArray w, FloatArray b, int ySize, int yOffset,
            float fill, int rows, int in, int out) {
        float[] y = new float[ySize];
        java.util.Arrays.fill(y, fill);
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < out; o++) {
                double sum = b.get(o);
                for (int i = 0; i < in; i++) {
                    sum += (double) x.get(xOffset + r * in + i) * w.get(o * in + i);
                }
                y[yOffset + r * out + o] = (float) sum;
            }
        }
        return y;
    }

    private static void run(TestDevice device, TaskGraph graph, FloatArray y, WorkerGrid grid) {
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
    void workGroupFormHalfWeights(TestDevice device) {
        FloatArray x = randomFloats(ROWS * IN, 22);
        HalfFloatArray w = randomHalfs(OUT * IN, 23);
        FloatArray b = randomFloats(OUT, 24);
        FloatArray y = new FloatArray(ROWS * OUT);
        WorkerGrid2D grid = new WorkerGrid2D((long) OUT * Linear.GROUP,
                (ROWS + Linear.ROW_BLOCK - 1) / Linear.ROW_BLOCK);
        grid.setLocalWork(Linear.GROUP, 1, 1);
        run(device, new TaskGraph("l").task("fc", Linear::forwardGroupHalf, new KernelContext(), x, w, b, y, ROWS, IN,
                OUT), y, grid);
        FloatArray widened = FloatArray.fromArray(w.toHeapArray());
        assertClose(reference(x, 0, widened, b, ROWS * OUT, 0, 0f), y.toHeapArray(), 1e-5f,
                "forwardGroupHalf on " + device);
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

    /** (rows, in, out) for the tiled forms: edge tiles everywhere (in not a multiple of 8), several column blocks. */
    static Stream<Arguments> tiledCases() {
        return TestDevices.devices().flatMap(d -> Stream.of(
                Arguments.of(d, 130, 33, 67),
                Arguments.of(d, 20, 20, 300)));
    }

    @ParameterizedTest(name = "{0} rows={1} in={2} out={3}")
    @MethodSource("tiledCases")
    void tiledForm(TestDevice device, int rows, int in, int out) {
        FloatArray x = randomFloats(rows * in, 13);
        FloatArray w = randomFloats(out * in, 14);
        FloatArray b = randomFloats(out, 15);
        FloatArray y = new FloatArray(rows * out);
        y.init(Float.NaN); // every element must be written
        TaskGraph graph = new TaskGraph("l").transferToDevice(DataTransferMode.FIRST_EXECUTION, y)
                .task("fc", Linear::forwardTiled, new KernelContext(), x, w, b, y, rows, in, out);
        run(device, graph, y, Linear.tiledGrid(rows, out));
        assertClose(reference(x, 0, w, b, rows * out, 0, 0f, rows, in, out), y.toHeapArray(), 1e-5f,
                "forwardTiled on " + device);
    }

    @ParameterizedTest(name = "{0} rows={1} in={2} out={3}")
    @MethodSource("tiledCases")
    void tiledFormHalfWeights(TestDevice device, int rows, int in, int out) {
        FloatArray x = randomFloats(rows * in, 16);
        HalfFloatArray w = randomHalfs(out * in, 17);
        FloatArray b = randomFloats(out, 18);
        FloatArray y = new FloatArray(rows * out);
        y.init(Float.NaN);
        TaskGraph graph = new TaskGraph("l").transferToDevice(DataTransferMode.FIRST_EXECUTION, y)
                .task("fc", Linear::forwardTiledHalf, new KernelContext(), x, w, b, y, rows, in, out);
        run(device, graph, y, Linear.tiledGrid(rows, out));
        FloatArray widened = FloatArray.fromArray(w.toHeapArray());
        assertClose(reference(x, 0, widened, b, rows * out, 0, 0f, rows, in, out), y.toHeapArray(), 1e-5f,
                "forwardTiledHalf on " + device);
    }

    /**
     * (rows, buffer rows, in, out, splits) for {@link Gemm#weightsBlocked} as a linear: edges in every
     * dimension (in not a multiple of 8), live rows fewer than the buffer's and, in the first cases,
     * a grid sized for the buffer, so a block of rows past the live ones must write nothing; then
     * split along k ({@link Gemm#sumSplits} adds the parts): a depth the parts do not divide, and one
     * whose last part is empty.
     */
    static Stream<Arguments> blockedCases() {
        return TestDevices.devices().flatMap(d -> Stream.of(false, true).flatMap(half -> Stream.of(
                Arguments.of(d, half, 60, 75, 45, 67, 1),
                Arguments.of(d, half, 5, 9, 20, 130, 1),
                Arguments.of(d, half, 11, 13, 45, 67, 3),
                Arguments.of(d, half, 70, 70, 20, 9, 4))));
    }

    @ParameterizedTest(name = "{0} fp16={1} rows={2} of {3} in={4} out={5} splits={6}")
    @MethodSource("blockedCases")
    void blockedForm(TestDevice device, boolean half, int rows, int bufferRows, int in, int out, int splits) {
        FloatArray x = randomFloats(bufferRows * in, 19);
        HalfFloatArray wHalf = randomHalfs(out * in, 20);
        // fp32 runs the fp16 values too (exact in fp32), so both have the same reference.
        FloatArray w = FloatArray.fromArray(wHalf.toHeapArray());
        FloatArray b = randomFloats(out, 21);
        FloatArray y = new FloatArray(bufferRows * out);
        y.init(-3f); // rows past the live ones keep it
        FloatArray parts = splits == 1 ? y : new FloatArray(bufferRows * out * splits);
        TaskGraph graph = new TaskGraph("l").transferToDevice(DataTransferMode.FIRST_EXECUTION, y);
        if (half) {
            graph.task("fc", Gemm::weightsBlockedHalf, new KernelContext(), x, in, wHalf, in, 1, b, 1, parts, out, rows,
                    out, in, splits);
        } else {
            graph.task("fc", Gemm::weightsBlocked, new KernelContext(), x, in, w, in, 1, b, 1, parts, out, rows, out, in,
                    splits);
        }
        if (splits > 1) {
            graph.task("sum", Gemm::sumSplits, parts, y, splits, rows, out);
        }
        run(device, graph, y, Gemm.weightsGrid(bufferRows, out, splits));
        assertClose(reference(x, 0, w, b, bufferRows * out, 0, -3f, rows, in, out), y.toHeapArray(), 1e-5f,
                "weightsBlocked" + (half ? "Half" : "") + " in " + splits + " parts on " + device);
    }
}
