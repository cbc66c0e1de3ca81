package elattn.tasks;

import static elattn.testing.HostArrays.assertClose;
import static elattn.testing.HostArrays.randomFloats;
import static elattn.testing.HostArrays.randomHalfs;
import static elattn.testing.Plans.executeOnce;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.kernel.KernelContext;
import elattn.runtime.DataTransferMode;
import elattn.runtime.KernelBuildException;
import elattn.runtime.TaskGraph;
import elattn.runtime.WorkerGrid1D;
import elattn.testing.TestDevices;
import elattn.testing.TestDevices.TestDevice;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The tensor-core intrinsic {@link KernelContext#mma16816} and {@link Gemm#hgemmTensorCore} on the
 * devices that run them (CUDA, compute capability 8.0+, and the JVM's emulation) against products
 * computed here, and the refusal to build on OpenCL. The CUDA cases run only when CUDA devices are
 * asked for: {@code -Delattn.test.devices=jvm,cuda -Dtest=TensorCoreGemmTest}.
 */
class TensorCoreGemmTest {
    /** The requested devices of the backends that run mma16816. */
    static Stream<TestDevice> mmaDevices() {
        return TestDevices.devices().filter(d -> backend(d).equals("jvm") || backend(d).equals("cuda"));
    }

    static Stream<TestDevice> openClDevices() {
        return TestDevices.devices().filter(d -> backend(d).equals("opencl"));
    }

    private static String backend(TestDevice d) {
        return d.device() != null ? d.device().backendName() : d.label().split(":")[0];
    }

    /**
     * Small integers are exact in fp16 and their products and sums exact in fp32, so the tile must
     * come out exactly: any lane feeding or receiving the wrong element shows.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("mmaDevices")
    void oneTileFollowsTheFragmentLayout(TestDevice device) {
        float[] a = new float[16 * 16];
        float[] b = new float[8 * 16];
        float[] d = new float[16 * 8];
        for (int i = 0; i < a.length; i++) {
            a[i] = (i * 7 + i / 16) % 11 - 5;
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (i * 5 + i / 16 * 3) % 9 - 4;
        }
        for (int i = 0; i < d.length; i++) {
            d[i] = i;
        }
        float[] expected = new float[16 * 8];
        for (int r = 0; r < 16; r++) {
            for (int j = 0; j < 8; j++) {
                float sum = d[r * 8 + j];
                for (int p = 0; p < 16; p++) {
                    sum += a[r * 16 + p] * b[j * 16 + p];
                }
                expected[r * 8 + j] = sum;
            }
        }
        FloatArray da = FloatArray.fromArray(a);
        FloatArray db = FloatArray.fromArray(b);
        FloatArray dev = FloatArray.fromArray(d);
        TaskGraph graph = new TaskGraph("g").transferToDevice(DataTransferMode.FIRST_EXECUTION, da, db, dev)
                .task("tile", TensorCoreTile::multiply, new KernelContext(), da, db, dev)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, dev);
        executeOnce(device, graph, "g.tile", new WorkerGrid1D(KernelContext.WARP).setLocalWork(KernelContext.WARP));
        assertArrayEquals(expected, dev.toHeapArray(), "mma16816 tile on " + device);
    }

    /** (m, n, k): odd sizes with edge tiles in every dimension, a long k, and a product smaller than a tile. */
    static Stream<Arguments> gemmCases() {
        return mmaDevices().flatMap(d -> Stream.of(
                Arguments.of(d, 37, 45, 29),
                Arguments.of(d, 131, 67, 1023),
                Arguments.of(d, 1, 3, 5)));
    }

    @ParameterizedTest(name = "{0} m={1} n={2} k={3}")
    @MethodSource("gemmCases")
    void gemmMatchesTheProduct(TestDevice device, int m, int n, int k) {
        FloatArray a = randomFloats(m * k, 11);
        HalfFloatArray b = randomHalfs(n * k, 12);
        FloatArray c = new FloatArray(m * n);
        c.init(Float.NaN); // every element must be written
        TaskGraph graph = new TaskGraph("g").transferToDevice(DataTransferMode.FIRST_EXECUTION, a, b, c)
                .task("mm", Gemm::hgemmTensorCore, new KernelContext(), a, b, c, m, n, k)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, c);
        executeOnce(device, graph, "g.mm", Gemm.tensorCoreGrid(m, n));
        float[] actual = c.toHeapArray();
        // The tensor cores see A rounded to fp16: against that product only fp32 summation differs.
        assertClose(product(a, b, m, n, k, true), actual, 1e-3f, "hgemmTensorCore on " + device);
        // Against the fp32 product, the fp16 rounding of A costs about 2^-11 relative.
        float[] exact = product(a, b, m, n, k, false);
        double error = 0;
        double norm = 0;
        for (int i = 0; i < exact.length; i++) {
            error += (exact[i] - actual[i]) * (double) (exact[i] - actual[i]);
            norm += exact[i] * (double) exact[i];
        }
        assertTrue(Math.sqrt(error / norm) < 1e-2, "relative error " + Math.sqrt(error / norm) + " on " + device);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("openClDevices")
    void openClRefusesToBuildIt(TestDevice device) {
        FloatArray a = randomFloats(16, 1);
        HalfFloatArray b = randomHalfs(16, 2);
        FloatArray c = new FloatArray(16);
        TaskGraph graph = new TaskGraph("g").transferToDevice(DataTransferMode.FIRST_EXECUTION, a, b)
                .task("mm", Gemm::hgemmTensorCore, new KernelContext(), a, b, c, 4, 4, 4)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, c);
        KernelBuildException e = assertThrows(KernelBuildException.class,
                () -> executeOnce(device, graph, "g.mm", Gemm.tensorCoreGrid(4, 4)));
        assertTrue(e.getMessage().contains("uses KernelContext.mma16816 (tensor cores), which is CUDA-only"),
                e.getMessage());
    }

    /** A (m x k) times B^T (B n x k) in double, with A rounded to fp16 first if {@code halfA}. */
    private static float[] product(FloatArray a, HalfFloatArray b, int m, int n, int k, boolean halfA) {
        float[] c = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int p = 0; p < k; p++) {
                    float x = a.get(i * k + p);
                    sum += (double) (halfA ? Float.float16ToFloat(Float.floatToFloat16(x)) : x) * b.get(j * k + p);
                }
                c[i * n + j] = (float) sum;
            }
        }
        return c;
    }
}
