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

/** Every layer-norm form on every test device against a double-precision layer norm computed here. */
class LayerNormTest {
    private static final int ROWS = 5;
    private static final int D = 299; // not a multiple of the work-group size
    private static final float EPS = 1e-5f;

    /** Rows with a large mean (3) so a one-pass variance would lose digits. */
    private static FloatArray input(long seed) {
        FloatArray x = randomFloats(ROWS * D, seed);
        for (int i = 0; i < x.getSize(); i++) {
            x.set(i, 3 + 2 * x.get(i));
        }
        return x;
    }

    private static float[] reference(FloatArray x, FloatArray gamma, FloatArray beta) {
        float[] out = new float[ROWS * D];
        for (int r = 0; r < ROWS; r++) {
            double mean = 0;
            for (int j = 0; j < D; j++) {
                mean += x.get(r * D + j);
            }
            mean /= D;
            double var = 0;
            for (int j = 0; j < D; j++) {
                var += (x.get(r * D + j) - mean) * (x.get(r * D + j) - mean);
            }
            var /= D;
            for (int j = 0; j < D; j++) {
                out[r * D + j] = (float) ((x.get(r * D + j) - mean) / Math.sqrt(var + EPS) * gamma.get(j) + beta.get(j));
            }
        }
        return out;
    }

    private static void run(TestDevice device, TaskGraph graph, FloatArray result, WorkerGrid1D grid) {
        graph.transferToHost(DataTransferMode.EVERY_EXECUTION, result);
        executeOnce(device, graph, "n.ln", grid);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void loopFormOutOfPlace(TestDevice device) {
        FloatArray x = input(1);
        FloatArray gamma = randomFloats(D, 2);
        FloatArray beta = randomFloats(D, 3);
        FloatArray out = new FloatArray(ROWS * D);
        run(device, new TaskGraph("n").task("ln", LayerNorm::rows, x, out, gamma, beta, ROWS, D, EPS), out, null);
        assertClose(reference(x, gamma, beta), out.toHeapArray(), 1e-5f, "rows on " + device);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void loopFormInPlace(TestDevice device) {
        FloatArray x = input(4);
        FloatArray gamma = randomFloats(D, 5);
        FloatArray beta = randomFloats(D, 6);
        float[] expected = reference(copy(x), gamma, beta);
        run(device, new TaskGraph("n").task("ln", LayerNorm::rows, x, x, gamma, beta, ROWS, D, EPS), x, null);
        assertClose(expected, x.toHeapArray(), 1e-5f, "rows in place on " + device);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void residualFormAddsThenNormalises(TestDevice device) {
        FloatArray x = input(7);
        FloatArray y = randomFloats(ROWS * D, 8);
        FloatArray gamma = randomFloats(D, 9);
        FloatArray beta = randomFloats(D, 10);
        FloatArray sum = new FloatArray(ROWS * D);
        for (int i = 0; i < sum.getSize(); i++) {
            sum.set(i, (float) ((double) x.get(i) + y.get(i)));
        }
        FloatArray out = new FloatArray(ROWS * D);
        TaskGraph graph = new TaskGraph("n").task("ln", LayerNorm::residualRows, x, y, out, gamma, beta, ROWS, D, EPS)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, x);
        run(device, graph, out, null);
        assertClose(sum.toHeapArray(), x.toHeapArray(), 1e-6f, "residualRows sum on " + device);
        assertClose(reference(sum, gamma, beta), out.toHeapArray(), 1e-5f, "residualRows on " + device);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void residualWorkGroupFormAddsThenNormalisesInPlace(TestDevice device) {
        FloatArray x = input(14);
        FloatArray y = randomFloats(ROWS * D, 15);
        FloatArray gamma = randomFloats(D, 16);
        FloatArray beta = randomFloats(D, 17);
        FloatArray sum = new FloatArray(ROWS * D);
        for (int i = 0; i < sum.getSize(); i++) {
            sum.set(i, (float) ((double) x.get(i) + y.get(i)));
        }
        // two groups past the rows: they must touch nothing (x has exactly ROWS rows)
        WorkerGrid1D grid = new WorkerGrid1D((ROWS + 2) * LayerNorm.GROUP);
        grid.setLocalWork(LayerNorm.GROUP, 1, 1);
        run(device, new TaskGraph("n").task("ln", LayerNorm::residualRowsGroup, new KernelContext(), x, y, x, gamma,
                beta, ROWS, D, EPS), x, grid);
        assertClose(reference(sum, gamma, beta), x.toHeapArray(), 1e-5f, "residualRowsGroup on " + device);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void residualWorkGroupFormKeepsTheSum(TestDevice device) {
        FloatArray x = input(18);
        FloatArray y = randomFloats(ROWS * D, 19);
        FloatArray gamma = randomFloats(D, 20);
        FloatArray beta = randomFloats(D, 21);
        FloatArray sum = new FloatArray(ROWS * D);
        for (int i = 0; i < sum.getSize(); i++) {
            sum.set(i, (float) ((double) x.get(i) + y.get(i)));
        }
        FloatArray out = new FloatArray(ROWS * D);
        WorkerGrid1D grid = new WorkerGrid1D(ROWS * LayerNorm.GROUP);
        grid.setLocalWork(LayerNorm.GROUP, 1, 1);
        TaskGraph graph = new TaskGraph("n").task("ln", LayerNorm::residualRowsGroup, new KernelContext(), x, y, out,
                gamma, beta, ROWS, D, EPS).transferToHost(DataTransferMode.EVERY_EXECUTION, x);
        run(device, graph, out, grid);
        assertClose(sum.toHeapArray(), x.toHeapArray(), 1e-6f, "residualRowsGroup sum on " + device);
        assertClose(reference(sum, gamma, beta), out.toHeapArray(), 1e-5f, "residualRowsGroup on " + device);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void workGroupFormInPlace(TestDevice device) {
        FloatArray x = input(11);
        FloatArray gamma = randomFloats(D, 12);
        FloatArray beta = randomFloats(D, 13);
        float[] expected = reference(copy(x), gamma, beta);
        WorkerGrid1D grid = new WorkerGrid1D(ROWS * LayerNorm.GROUP);
        grid.setLocalWork(LayerNorm.GROUP, 1, 1);
        run(device, new TaskGraph("n").task("ln", LayerNorm::rowsGroup, new KernelContext(), x, x, gamma, beta, D, EPS),
                x, grid);
        assertClose(expected, x.toHeapArray(), 1e-5f, "rowsGroup on " + device);
    }
}
