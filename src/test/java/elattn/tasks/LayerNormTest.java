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
import elattn.testing.TestDevices;
import elattn.testing.TestDevices.TestDevice;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every layer-norm form on every test device against a double-precision layer norm computed here,
 * for rows wider than a work-group and not a multiple of it (299) and rows narrower than one (64:
 * most items of a work-group skip every element loop, the shape of the small test models, which
 * PoCL 3.1 once miscompiled into a crash).
 */
class LayerNormTest {
    private static final int ROWS = 5;
    private static final float EPS = 1e-5f;

    static Stream<Arguments> devicesAndWidths() {
        return TestDevices.devices().flatMap(device -> Stream.of(299, 64).map(d -> Arguments.of(device, d)));
    }

    /** Rows with a large mean (3) so a one-pass variance would lose digits. */
    private static FloatArray input(long seed, int d) {
        FloatArray x = randomFloats(ROWS * d, seed);
        for (int i = 0; i < x.getSize(); i++) {
            x.set(i, 3 + 2 * x.get(i));
        }
        return x;
    }

    /** {@code x + y} element by element, as the residual forms add before they normalise. */
    private static FloatArray sum(FloatArray x, FloatArray y) {
        FloatArray sum = new FloatArray(x.getSize());
        for (int i = 0; i < sum.getSize(); i++) {
            sum.set(i, (float) ((double) x.get(i) + y.get(i)));
        }
        return sum;
    }

    private static float[] reference(FloatArray x, FloatArray gamma, FloatArray beta) {
        int d = gamma.getSize();
        float[] out = new float[ROWS * d];
        for (int r = 0; r < ROWS; r++) {
            double mean = 0;
            for (int j = 0; j < d; j++) {
                mean += x.get(r * d + j);
            }
            mean /= d;
            double var = 0;
            for (int j = 0; j < d; j++) {
                var += (x.get(r * d + j) - mean) * (x.get(r * d + j) - mean);
            }
            var /= d;
            for (int j = 0; j < d; j++) {
                out[r * d + j] = (float) ((x.get(r * d + j) - mean) / Math.sqrt(var + EPS) * gamma.get(j) + beta.get(j));
            }
        }
        return out;
    }

    private static void run(TestDevice device, TaskGraph graph, FloatArray result, WorkerGrid1D grid) {
        graph.transferToHost(DataTransferMode.EVERY_EXECUTION, result);
        executeOnce(device, graph, "n.ln", grid);
    }

    @ParameterizedTest(name = "{0}, d = {1}")
    @MethodSource("devicesAndWidths")
    void loopFormOutOfPlace(TestDevice device, int d) {
        FloatArray x = input(1, d);
        FloatArray gamma = randomFloats(d, 2);
        FloatArray beta = randomFloats(d, 3);
        FloatArray out = new FloatArray(ROWS * d);
        run(device, new TaskGraph("n").task("ln", LayerNorm::rows, x, out, gamma, beta, ROWS, d, EPS), out, null);
        assertClose(reference(x, gamma, beta), out.toHeapArray(), 1e-5f, "rows on " + device);
    }

    @ParameterizedTest(name = "{0}, d = {1}")
    @MethodSource("devicesAndWidths")
    void loopFormInPlace(TestDevice device, int d) {
        FloatArray x = input(4, d);
        FloatArray gamma = randomFloats(d, 5);
        FloatArray beta = randomFloats(d, 6);
        float[] expected = reference(copy(x), gamma, beta);
        run(device, new TaskGraph("n").task("ln", LayerNorm::rows, x, x, gamma, beta, ROWS, d, EPS), x, null);
        assertClose(expected, x.toHeapArray(), 1e-5f, "rows in place on " + device);
    }

    @ParameterizedTest(name = "{0}, d = {1}")
    @MethodSource("devicesAndWidths")
    void residualFormAddsThenNormalises(TestDevice device, int d) {
        FloatArray x = input(7, d);
        FloatArray y = randomFloats(ROWS * d, 8);
        FloatArray gamma = randomFloats(d, 9);
        FloatArray beta = randomFloats(d, 10);
        FloatArray sum = sum(x, y);
        FloatArray out = new FloatArray(ROWS * d);
        TaskGraph graph = new TaskGraph("n").task("ln", LayerNorm::residualRows, x, y, 1, out, gamma, beta, ROWS, d, EPS)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, x);
        run(device, graph, out, null);
        assertClose(sum.toHeapArray(), x.toHeapArray(), 1e-6f, "residualRows sum on " + device);
        assertClose(reference(sum, gamma, beta), out.toHeapArray(), 1e-5f, "residualRows on " + device);
    }

    @ParameterizedTest(name = "{0}, d = {1}")
    @MethodSource("devicesAndWidths")
    void residualWorkGroupFormAddsThenNormalisesInPlace(TestDevice device, int d) {
        FloatArray x = input(14, d);
        FloatArray y = randomFloats(ROWS * d, 15);
        FloatArray gamma = randomFloats(d, 16);
        FloatArray beta = randomFloats(d, 17);
        FloatArray sum = sum(x, y);
        // two groups past the rows: they must touch nothing (x has exactly ROWS rows)
        WorkerGrid1D grid = new WorkerGrid1D((ROWS + 2) * LayerNorm.GROUP);
        grid.setLocalWork(LayerNorm.GROUP, 1, 1);
        run(device, new TaskGraph("n").task("ln", LayerNorm::residualRowsGroup, new KernelContext(), x, y, 1, x,
                gamma, beta, ROWS, d, EPS), x, grid);
        assertClose(reference(sum, gamma, beta), x.toHeapArray(), 1e-5f, "residualRowsGroup on " + device);
    }

    @ParameterizedTest(name = "{0}, d = {1}")
    @MethodSource("devicesAndWidths")
    void residualWorkGroupFormKeepsTheSumOfAProductInParts(TestDevice device, int d) {
        FloatArray x = input(18, d);
        // y as a product in 3 parts per element (Gemm.sumSplits' layout), added in order.
        FloatArray parts = randomFloats(ROWS * d * 3, 19);
        FloatArray y = new FloatArray(ROWS * d);
        for (int i = 0; i < ROWS * d; i++) {
            y.set(i, parts.get(3 * i) + parts.get(3 * i + 1) + parts.get(3 * i + 2));
        }
        FloatArray gamma = randomFloats(d, 20);
        FloatArray beta = randomFloats(d, 21);
        FloatArray sum = sum(x, y);
        FloatArray out = new FloatArray(ROWS * d);
        WorkerGrid1D grid = new WorkerGrid1D(ROWS * LayerNorm.GROUP);
        grid.setLocalWork(LayerNorm.GROUP, 1, 1);
        TaskGraph graph = new TaskGraph("n").task("ln", LayerNorm::residualRowsGroup, new KernelContext(), x, parts, 3,
                out, gamma, beta, ROWS, d, EPS).transferToHost(DataTransferMode.EVERY_EXECUTION, x);
        run(device, graph, out, grid);
        assertClose(sum.toHeapArray(), x.toHeapArray(), 1e-6f, "residualRowsGroup sum on " + device);
        assertClose(reference(sum, gamma, beta), out.toHeapArray(), 1e-5f, "residualRowsGroup on " + device);
    }

    @ParameterizedTest(name = "{0}, d = {1}")
    @MethodSource("devicesAndWidths")
    void workGroupFormInPlace(TestDevice device, int d) {
        FloatArray x = input(11, d);
        FloatArray gamma = randomFloats(d, 12);
        FloatArray beta = randomFloats(d, 13);
        float[] expected = reference(copy(x), gamma, beta);
        WorkerGrid1D grid = new WorkerGrid1D(ROWS * LayerNorm.GROUP);
        grid.setLocalWork(LayerNorm.GROUP, 1, 1);
        run(device, new TaskGraph("n").task("ln", LayerNorm::rowsGroup, new KernelContext(), x, x, gamma, beta, d, EPS),
                x, grid);
        assertClose(expected, x.toHeapArray(), 1e-5f, "rowsGroup on " + device);
    }
}
