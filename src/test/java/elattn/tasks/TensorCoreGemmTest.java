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
 * The tensor-core intrinsic {@link KernelContext#mma16816} and the GEMM kernels built on it
 * ({@link Gemm#weightsTensorCore}, {@link Gemm#hgemmTensorCoreHalf}) on the devices that run them
 * (CUDA, compute capability 8.0+, and the JVM's emulation) against products computed here, and the
 * refusal to build on OpenCL. The CUDA cases run only when CUDA devices are
 * asked for: {@code -Delattn.test.devices=jvm,cuda -Dtest=TensorCoreGemmTest}.
 */
class TensorCoreGemmTest {
    /** The requested devices of the backends that run mma16816. */
    static Stream<TestDevice> mmaDevices() {
        return TestDevices.tensorCoreDevices();
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

    /**
     * The tensor-core GEMM kernels, each as a task of {@code C = A B^T + bias} on host data (A given
     * in fp32; the fp16-A kernel gets it rounded to fp16, as the fp32-A kernel rounds it when
     * staging; a null bias is none).
     */
    enum Variant {
        FP32_A, HALF_A;

        TaskGraph graph(float[] a, HalfFloatArray b, float[] bias, FloatArray c, int m, int n, int k) {
            TaskGraph graph = new TaskGraph("g");
            FloatArray biasArray = FloatArray.fromArray(bias != null ? bias : new float[1]);
            int biased = bias != null ? 1 : 0;
            if (this == HALF_A) {
                HalfFloatArray ha = HalfFloatArray.fromArray(a);
                graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, ha, b, biasArray, c)
                        .task("mm", Gemm::hgemmTensorCoreHalf, new KernelContext(), ha, b, biasArray, biased, c, m, n,
                                k);
            } else {
                FloatArray fa = FloatArray.fromArray(a);
                graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, fa, b, biasArray, c)
                        .task("mm", Gemm::weightsTensorCore, new KernelContext(), fa, k, b, k, 1, biasArray, biased,
                                c, n, m, n, k);
            }
            return graph.transferToHost(DataTransferMode.EVERY_EXECUTION, c);
        }

        float[] run(TestDevice device, float[] a, HalfFloatArray b, float[] bias, int m, int n, int k) {
            FloatArray c = new FloatArray(m * n);
            c.init(Float.NaN); // every element must be written
            executeOnce(device, graph(a, b, bias, c, m, n, k), "g.mm", Gemm.tensorCoreGrid(m, n, 1));
            return c.toHeapArray();
        }
    }

    static Stream<Arguments> variants() {
        return mmaDevices().flatMap(d -> Stream.of(Variant.values()).map(v -> Arguments.of(d, v)));
    }

    /** (m, n, k): odd sizes with edge tiles in every dimension, a long k, and a product smaller than a tile. */
    static Stream<Arguments> gemmCases() {
        return variants().flatMap(dv -> Stream.of(
                Arguments.of(dv.get()[0], dv.get()[1], 37, 45, 29),
                Arguments.of(dv.get()[0], dv.get()[1], 131, 67, 1023),
                Arguments.of(dv.get()[0], dv.get()[1], 1, 3, 5)));
    }

    /**
     * Small integers (exact in fp16, products and sums exact in fp32) over two blocks in m and n and
     * k not a multiple of the steps, plus an integer bias: every element of C must come out exactly,
     * so a tile staged at the wrong place, a fragment of the wrong buffer, a k-value past k counted
     * or a bias of the wrong column shows.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("variants")
    void gemmIsExactOnSmallIntegers(TestDevice device, Variant variant) {
        int m = 133;
        int n = 130;
        int k = 57;
        float[] a = new float[m * k];
        float[] b = new float[n * k];
        for (int i = 0; i < a.length; i++) {
            a[i] = (i * 7 + i / k) % 11 - 5;
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (i * 5 + i / k * 3) % 9 - 4;
        }
        float[] bias = new float[n];
        for (int j = 0; j < n; j++) {
            bias[j] = j % 7 - 3;
        }
        float[] expected = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float sum = bias[j];
                for (int p = 0; p < k; p++) {
                    sum += a[i * k + p] * b[j * k + p];
                }
                expected[i * n + j] = sum;
            }
        }
        assertArrayEquals(expected, variant.run(device, a, HalfFloatArray.fromArray(b), bias, m, n, k),
                variant + " on " + device);
    }

    @ParameterizedTest(name = "{0} {1} m={2} n={3} k={4}")
    @MethodSource("gemmCases")
    void gemmMatchesTheProduct(TestDevice device, Variant variant, int m, int n, int k) {
        FloatArray a = randomFloats(m * k, 11);
        HalfFloatArray b = randomHalfs(n * k, 12);
        float[] actual = variant.run(device, a.toHeapArray(), b, null, m, n, k);
        // The tensor cores see A rounded to fp16: against that product only fp32 summation differs.
        assertClose(product(a, b, m, n, k, true), actual, 1e-3f, variant + " on " + device);
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

    static Stream<Arguments> byOutputCases() {
        return mmaDevices().flatMap(d -> Stream.of(Arguments.of(d, true), Arguments.of(d, false)));
    }

    /**
     * {@link Gemm#weightsTensorCore} as EL's per-head projections use it, 3 products (heads) with
     * strided A and C and a bias, W read by output (projectHeads: m = 37 rows, n = 20 = dh, k = 70 =
     * d) or by depth (expandQuery: n = 70, k = 20, no bias), against {@link Gemm#weightsBlocked}'s
     * addressing computed here on A rounded to fp16, so only the order of the fp32 sums differs.
     */
    @ParameterizedTest(name = "{0} byOutput={1}")
    @MethodSource("byOutputCases")
    void batchedProductsFollowWeightsBlockedAddressing(TestDevice device, boolean byOutput) {
        int heads = 3;
        int m = 37;
        int n = byOutput ? 20 : 70;
        int k = byOutput ? 70 : 20;
        int lda = byOutput ? heads * 70 : 70;
        int ldw = 70;
        int ldc = byOutput ? 70 : heads * 70;
        FloatArray a = randomFloats(m * lda + heads * k, 31);
        HalfFloatArray w = randomHalfs(heads * Math.max(n, k) * ldw, 32);
        FloatArray bias = randomFloats(heads * n, 33);
        FloatArray c = new FloatArray(m * ldc + heads * n);
        c.init(Float.NaN);
        float[] expected = c.toHeapArray();
        for (int z = 0; z < heads; z++) {
            for (int r = 0; r < m; r++) {
                for (int j = 0; j < n; j++) {
                    double sum = byOutput ? bias.get(z * n + j) : 0;
                    for (int p = 0; p < k; p++) {
                        float x = Float.float16ToFloat(Float.floatToFloat16(a.get(z * k + r * lda + p)));
                        sum += x * (double) w.get(byOutput ? (z * n + j) * ldw + p : (z * k + p) * ldw + j);
                    }
                    expected[z * n + r * ldc + j] = (float) sum;
                }
            }
        }
        TaskGraph graph = new TaskGraph("g").transferToDevice(DataTransferMode.FIRST_EXECUTION, a, w, bias, c)
                .task("mm", Gemm::weightsTensorCore, new KernelContext(), a, lda, w, ldw, byOutput ? 1 : 0, bias,
                        byOutput ? 1 : 0, c, ldc, m, n, k)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, c);
        executeOnce(device, graph, "g.mm", Gemm.tensorCoreGrid(m, n, heads));
        float[] actual = c.toHeapArray();
        for (int i = 0; i < expected.length; i++) {
            if (Float.isNaN(expected[i])) {
                assertTrue(Float.isNaN(actual[i]), "wrote outside the products at " + i + " on " + device);
                expected[i] = 0;
                actual[i] = 0;
            }
        }
        assertClose(expected, actual, 1e-3f, "byOutput " + byOutput + " on " + device);
    }

    @ParameterizedTest(name = "{0}", allowZeroInvocations = true)
    @MethodSource("openClDevices")
    void openClRefusesToBuildIt(TestDevice device) {
        FloatArray a = randomFloats(16, 1);
        HalfFloatArray b = randomHalfs(16, 2);
        FloatArray c = new FloatArray(16);
        TaskGraph graph = new TaskGraph("g").transferToDevice(DataTransferMode.FIRST_EXECUTION, a, b)
                .task("mm", Gemm::weightsTensorCore, new KernelContext(), a, 4, b, 4, 1, c, 0, c, 4, 4, 4, 4)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, c);
        KernelBuildException e = assertThrows(KernelBuildException.class,
                () -> executeOnce(device, graph, "g.mm", Gemm.tensorCoreGrid(4, 4, 1)));
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
