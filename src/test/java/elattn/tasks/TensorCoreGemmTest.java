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
 * ({@link Gemm#hgemmTensorCore}, {@link Gemm#hgemmTensorCoreHalf}) on the devices that run them
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
    @ParameterizedTest(name = "{0}", allowZeroInvocations = true)
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
                        .task("mm", Gemm::hgemmTensorCore, new KernelContext(), fa, b, biasArray, biased, c, m, n, k);
            }
            return graph.transferToHost(DataTransferMode.EVERY_EXECUTION, c);
        }

        float[] run(TestDevice device, float[] a, HalfFloatArray b, float[] bias, int m, int n, int k) {
            FloatArray c = new FloatArray(m * n);
            c.init(Float.NaN); // every element must be written
            executeOnce(device, graph(a, b, bias, c, m, n, k), "g.mm", Gemm.tensorCoreGrid(m, n));
            return c.toHeapArray();
        }
    }

    static Stream<Arguments> variants() {
        return mmaDevices().flatMap(d -> Stream.of(Variant.values()).map(v -> Arguments.of(d, v)));
    }

    /**
     * (m, n, k): odd m and n with edge tiles, k a multiple of {@link Gemm#TC_K_MULTIPLE} (as the
     * kernels require) but not of a step of 16, a long k, and a product smaller than a tile.
     */
    static Stream<Arguments> gemmCases() {
        return variants().flatMap(dv -> Stream.of(
                Arguments.of(dv.get()[0], dv.get()[1], 37, 45, 24),
                Arguments.of(dv.get()[0], dv.get()[1], 131, 67, 1016),
                Arguments.of(dv.get()[0], dv.get()[1], 1, 3, 8)));
    }

    /**
     * Small integers (exact in fp16, products and sums exact in fp32) over two blocks in m and n and
     * k not a multiple of the steps (the last stage half zero-filled), plus an integer bias: every element of C must come out exactly,
     * so a tile staged at the wrong place, a fragment of the wrong buffer, a k-value past k counted
     * or a bias of the wrong column shows.
     */
    @ParameterizedTest(name = "{0} {1}", allowZeroInvocations = true)
    @MethodSource("variants")
    void gemmIsExactOnSmallIntegers(TestDevice device, Variant variant) {
        int m = 133;
        int n = 130;
        int k = 56;
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

    @ParameterizedTest(name = "{0} {1} m={2} n={3} k={4}", allowZeroInvocations = true)
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

    static Stream<Arguments> weightLayouts() {
        return mmaDevices().flatMap(d -> Stream.of(Arguments.of(d, true), Arguments.of(d, false)));
    }

    /**
     * {@link Gemm#weightsTensorCore}: two products (heads) of EL's strided, batched addressing, W by
     * output (projectHeads) and k-major (expandQuery, read transposed), odd m over two blocks of
     * rows, n = 72 over two of columns, k = 40 (not a multiple of the steps), a bias; small integers
     * (exact in fp16 and in fp32 sums), so every element must come out exactly against the
     * addressing {@link Gemm#weightsBlocked} documents, computed here.
     */
    @ParameterizedTest(name = "{0} byOutput={1}", allowZeroInvocations = true)
    @MethodSource("weightLayouts")
    void weightsProductIsExactOnSmallIntegers(TestDevice device, boolean byOutput) {
        int batch = 2;
        int m = 70;
        int n = 72;
        int k = 40;
        int lda = batch * k;
        int ldw = byOutput ? k : n;
        int ldc = batch * n;
        float[] a = new float[m * lda];
        float[] w = new float[batch * n * k];
        float[] bias = new float[batch * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = (i * 7 + i / lda) % 11 - 5;
        }
        for (int i = 0; i < w.length; i++) {
            w[i] = (i * 5 + i / ldw * 3) % 9 - 4;
        }
        for (int i = 0; i < bias.length; i++) {
            bias[i] = i % 7 - 3;
        }
        float[] expected = new float[m * ldc];
        for (int z = 0; z < batch; z++) {
            for (int r = 0; r < m; r++) {
                for (int j = 0; j < n; j++) {
                    float sum = bias[z * n + j];
                    for (int p = 0; p < k; p++) {
                        float wv = byOutput ? w[(z * n + j) * ldw + p] : w[(z * k + p) * ldw + j];
                        sum += a[z * k + r * lda + p] * wv;
                    }
                    expected[z * n + r * ldc + j] = sum;
                }
            }
        }
        FloatArray da = FloatArray.fromArray(a);
        HalfFloatArray dw = HalfFloatArray.fromArray(w);
        FloatArray db = FloatArray.fromArray(bias);
        // Whole, and split along k in 3 parts (16, 16 and 8 deep) summed by Gemm.sumSplits.
        for (int splits : new int[] {1, 3}) {
            FloatArray c = new FloatArray(m * ldc);
            c.init(Float.NaN); // every element must be written
            FloatArray parts = splits == 1 ? c : new FloatArray(m * ldc * splits);
            TaskGraph graph = new TaskGraph("g").transferToDevice(DataTransferMode.FIRST_EXECUTION, da, dw, db, c)
                    .task("mm", Gemm::weightsTensorCore, new KernelContext(), da, lda, dw, ldw, byOutput ? 1 : 0, db,
                            1, parts, ldc, m, n, k, splits);
            if (splits > 1) {
                graph.task("sum", Gemm::sumSplits, parts, c, splits, m, ldc);
            }
            graph.transferToHost(DataTransferMode.EVERY_EXECUTION, c);
            executeOnce(device, graph, "g.mm", Gemm.weightsTensorCoreGrid(m, n, batch * splits));
            assertArrayEquals(expected, c.toHeapArray(),
                    "weightsTensorCore byOutput=" + byOutput + " splits=" + splits + " on " + device);
        }
    }

    @ParameterizedTest(name = "{0}", allowZeroInvocations = true)
    @MethodSource("openClDevices")
    void openClRefusesToBuildIt(TestDevice device) {
        device.get(); // a missing device skips here, not as an unexpected exception inside assertThrows
        FloatArray a = randomFloats(16, 1);
        HalfFloatArray b = randomHalfs(16, 2);
        FloatArray c = new FloatArray(16);
        TaskGraph graph = new TaskGraph("g").transferToDevice(DataTransferMode.FIRST_EXECUTION, a, b)
                .task("mm", Gemm::hgemmTensorCore, new KernelContext(), a, b, c, 0, c, 4, 4, 4)
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
