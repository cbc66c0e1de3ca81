package elattn.tasks;

import static elattn.testing.HostArrays.assertClose;
import static elattn.testing.HostArrays.randomFloats;
import static elattn.testing.Plans.executeOnce;

import elattn.kernel.FloatArray;
import elattn.kernel.KernelContext;
import elattn.runtime.DataTransferMode;
import elattn.runtime.TaskGraph;
import elattn.runtime.WorkerGrid2D;
import elattn.testing.TestDevices.TestDevice;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Both SGEMM forms on every test device against a double-precision product computed here. */
class GemmTest {
    // Not multiples of the tile, so the tiled kernel's edge handling is exercised.
    private static final int M = 37;
    private static final int N = 45;
    private static final int K = 29;

    private static float[] reference(FloatArray a, FloatArray b) {
        float[] c = new float[M * N];
        for (int i = 0; i < M; i++) {
            for (int j = 0; j < N; j++) {
                double sum = 0;
                for (int p = 0; p < K; p++) {
                    sum += (double) a.get(i * K + p) * b.get(p * N + j);
                }
                c[i * N + j] = (float) sum;
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
}
