package elattn.tasks;

import static elattn.testing.HostArrays.assertClose;
import static elattn.testing.HostArrays.randomFloats;
import static elattn.testing.Plans.executeOnce;

import elattn.kernel.FloatArray;
import elattn.kernel.KernelContext;
import elattn.runtime.DataTransferMode;
import elattn.runtime.TaskGraph;
import elattn.runtime.WorkerGrid2D;
import elattn.testing.TestDevices;
import elattn.testing.TestDevices.TestDevice;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Both SGEMM forms on every test device against a double-precision product computed here. */
class GemmTest {
    // Not multiples of the tile, so the tiled kernel's edge handling is exercised.
    private static final int M = 37;
    private static final int N = 45;
    private static final int K = 29;

    private static float[] reference(FloatArray a, FloatArray b) {
        return reference(a, b, M, N, K);
    }

    private static float[] reference(FloatArray a, FloatArray b, int m, int n, int k) {
        float[] c = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int p = 0; p < k; p++) {
                    sum += (double) a.get(i * k + p) * b.get(p * n + j);
                }
                c[i * n + j] = (float) sum;
            }
        }
        return c;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void loopFormMatchesTheProduct(TestDevice device) {
        FloatArray a = randomFloats(M * K, 1);
        FloatArray b = randomFloats(K * N, 2);
        FloatArray c = new FloatArray(M * N);
        TaskGraph graph = new TaskGraph("g").transferToDevice(DataTransferMode.FIRST_EXECUTION, a, b)
                .task("mm", Gemm::sgemm, a, b, c, M, N, K)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, c);
        executeOnce(device, graph);
        assertClose(reference(a, b), c.toHeapArray(), 1e-5f, "sgemm on " + device);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void tiledFormMatchesTheProduct(TestDevice device) {
        FloatArray a = randomFloats(M * K, 3);
        FloatArray b = randomFloats(K * N, 4);
        FloatArray c = new FloatArray(M * N);
        TaskGraph graph = new TaskGraph("g").transferToDevice(DataTransferMode.FIRST_EXECUTION, a, b)
                .task("mm", Gemm::sgemmTiled, new KernelContext(), a, b, c, M, N, K)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, c);
        int t = Gemm.TILE;
        WorkerGrid2D grid = new WorkerGrid2D((N + t - 1) / t * t, (M + t - 1) / t * t);
        grid.setLocalWork(t, t, 1);
        executeOnce(device, graph, "g.mm", grid);
        assertClose(reference(a, b), c.toHeapArray(), 1e-5f, "sgemmTiled on " + device);
    }

    /**
     * (m, n, k) for the blocked form: edge tiles in every dimension (m past one block, k not a
     * multiple of BLOCK_K), several column blocks, and a product smaller than one block.
     */
    static Stream<Arguments> blockedCases() {
        return TestDevices.devices().flatMap(d -> Stream.of(
                Arguments.of(d, 130, 67, 33),
                Arguments.of(d, 40, 300, 20),
                Arguments.of(d, 5, 3, 1)));
    }

    @ParameterizedTest(name = "{0} m={1} n={2} k={3}")
    @MethodSource("blockedCases")
    void blockedFormMatchesTheProduct(TestDevice device, int m, int n, int k) {
        FloatArray a = randomFloats(m * k, 5);
        FloatArray b = randomFloats(k * n, 6);
        FloatArray c = new FloatArray(m * n);
        c.init(Float.NaN); // every element must be written
        TaskGraph graph = new TaskGraph("g").transferToDevice(DataTransferMode.FIRST_EXECUTION, a, b, c)
                .task("mm", Gemm::sgemmBlocked, new KernelContext(), a, b, c, m, n, k)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, c);
        executeOnce(device, graph, "g.mm", Gemm.blockedGrid(m, n));
        assertClose(reference(a, b, m, n, k), c.toHeapArray(), 1e-5f, "sgemmBlocked on " + device);
    }
}
