package elattn.backend.cuda;

import static elattn.testing.HostArrays.assertGroupSums;
import static elattn.testing.HostArrays.gaussianFloats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.kernel.IntArray;
import elattn.runtime.Device;
import elattn.runtime.DeviceBuffer;
import elattn.runtime.DeviceOutOfMemoryException;
import elattn.runtime.DeviceSession.CompiledKernel;
import elattn.runtime.DeviceSession.Launch;
import elattn.runtime.KernelBuildException;
import elattn.runtime.LaunchGrid;
import elattn.testing.DeviceArrays;
import elattn.kernel.NativeArray;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CUDA backend on a real GPU (skipped where there is none): discovery, copies, kernels of both
 * styles built from CUDA C written as the kernel compiler emits it (device C ABI, grid-stride
 * {@code @Parallel} loops, inline-PTX fp16 conversion), build errors, out-of-memory and timing.
 * Every result is checked against plain sequential Java.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CudaSessionTest {
    private static final String VECTOR_ADD = """
            extern "C" __global__ void vectorAdd(float* a, int a_len, float* b, int b_len, float* c, int c_len) {
              for (int i = 0 + (blockIdx.x * blockDim.x + threadIdx.x) * 1; i < c_len; i += gridDim.x * blockDim.x * 1) {
                c[i] = a[i] + b[i];
              }
            }
            """;
    /** Two {@code @Parallel} loops: rows outer (dimension 1), columns inner (dimension 0). */
    private static final String AFFINE_2D = """
            extern "C" __global__ void affine(float* m, int m_len, float* out, int out_len, int rows, int cols,
                                              float scale, long long offset) {
              for (int r = 0 + (blockIdx.y * blockDim.y + threadIdx.y) * 1; r < rows; r += gridDim.y * blockDim.y * 1) {
                for (int c = 0 + (blockIdx.x * blockDim.x + threadIdx.x) * 1; c < cols; c += gridDim.x * blockDim.x * 1) {
                  out[r * cols + c] = m[r * cols + c] * scale + (float) (offset + r - c);
                }
              }
            }
            """;
    /** A {@code KernelContext} kernel: one partial sum per work-group through shared memory. */
    private static final String GROUP_SUM = """
            extern "C" __global__ void groupSum(float* in, int in_len, float* out, int out_len) {
              __shared__ float part[256];
              int l = threadIdx.x;
              int g = blockIdx.x * blockDim.x + threadIdx.x;
              part[l] = g < in_len ? in[g] : 0.0f;
              for (int s = blockDim.x / 2; s > 0; s /= 2) {
                __syncthreads();
                if (l < s) { part[l] += part[l + s]; }
              }
              if (l == 0) { out[blockIdx.x] = part[0]; }
            }
            """;
    private static final String HALF_SCALE = """
            __device__ static inline float elattn_load_half(const unsigned short* p, int i) {
              float f; asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(p[i])); return f;
            }
            __device__ static inline void elattn_store_half(unsigned short* p, int i, float v) {
              unsigned short h; asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(v)); p[i] = h;
            }
            extern "C" __global__ void halfScale(unsigned short* in, int in_len, unsigned short* out, int out_len,
                                                 float k) {
              for (int i = 0 + (blockIdx.x * blockDim.x + threadIdx.x) * 1; i < in_len; i += gridDim.x * blockDim.x * 1) {
                elattn_store_half(out, i, elattn_load_half(in, i) * k);
              }
            }
            """;
    /** Enough work per thread for a time well above the events' resolution. */
    private static final String SPIN = """
            extern "C" __global__ void spin(int* out, int out_len, int rounds) {
              for (int i = 0 + (blockIdx.x * blockDim.x + threadIdx.x) * 1; i < out_len; i += gridDim.x * blockDim.x * 1) {
                unsigned int x = i;
                for (int r = 0; r < rounds; r++) { x = x * 1664525u + 1013904223u; }
                out[i] = (int) x;
              }
            }
            """;

    private Device device;
    private CudaSession session;

    @BeforeAll
    void open() {
        CudaBackend backend = new CudaBackend();
        assumeFalse(backend.devices().isEmpty(), () -> "no CUDA device: " + backend.unavailableReason().orElse(""));
        device = backend.devices().get(0);
        session = (CudaSession) device.open();
    }

    @AfterAll
    void close() {
        if (session != null) {
            session.close();
        }
    }

    @Test
    void devicesAreDescribed() {
        assertEquals("cuda:0", device.id());
        assertEquals("cuda", device.backendName());
        assertFalse(device.name().isBlank());
        assertTrue(device.globalMemoryBytes() > (1L << 30), device.toString());
        assertTrue(device.computeUnits() > 0, device.toString());
        assertTrue(device.isGpu());
    }

    @Test
    void buffersRoundTrip() {
        FloatArray in = gaussianFloats(100_003, 1);
        FloatArray back = new FloatArray(in.getSize());
        DeviceBuffer buffer = session.allocate(in);
        assertEquals(in.getNumBytes(), buffer.byteSize());
        assertEquals(in.getSize(), buffer.length());
        session.copyToDevice(in.getSegment(), buffer);
        session.copyToHost(buffer, back.getSegment());
        session.finish();
        assertArrayEquals(in.toHeapArray(), back.toHeapArray());

        FloatArray empty = new FloatArray(0);
        DeviceBuffer none = session.allocate(empty);
        session.copyToDevice(empty.getSegment(), none);
        session.copyToHost(none, empty.getSegment());
        session.finish();
    }

    @Test
    void parallelVectorAdd() {
        int n = 1_000_003;
        FloatArray a = gaussianFloats(n, 2), b = gaussianFloats(n, 3), c = new FloatArray(n);
        CompiledKernel k = session.compileSource("Test.vectorAdd", "vectorAdd", VECTOR_ADD, false);
        run(k, new long[] {n}, null, List.of(a, b), c, null);
        for (int i = 0; i < n; i++) {
            assertEquals(a.get(i) + b.get(i), c.get(i), "element " + i);
        }
    }

    @Test
    void parallel2dWithScalarsOfEveryType() {
        int rows = 300, cols = 517;
        FloatArray m = gaussianFloats(rows * cols, 4), out = new FloatArray(rows * cols);
        CompiledKernel k = session.compileSource("Test.affine", "affine", AFFINE_2D, false);
        run(k, new long[] {cols, rows}, null, List.of(m), out, new Object[] {rows, cols, 1.5f, 7L});
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int i = r * cols + c;
                float expected = m.get(i) * 1.5f + (float) (7L + r - c);
                // NVRTC may fuse the multiply-add, skipping the product's rounding.
                float tolerance = Math.ulp(m.get(i) * 1.5f) + Math.ulp(expected);
                assertEquals(expected, out.get(i), tolerance, "row " + r + " column " + c);
            }
        }
    }

    @Test
    void workGroupReductionInSharedMemory() {
        int groups = 64, local = 256;
        FloatArray in = gaussianFloats(groups * local, 5), sums = new FloatArray(groups);
        CompiledKernel k = session.compileSource("Test.groupSum", "groupSum", GROUP_SUM, true);
        run(k, new long[] {groups * local}, new long[] {local}, List.of(in), sums, null);
        assertGroupSums(in, local, sums, 1e-4);
    }

    @Test
    void workGroupKernelsNeedALocalSize() {
        CompiledKernel k = session.compileSource("Test.groupSum", "groupSum", GROUP_SUM, true);
        DeviceBuffer b = session.allocate(new FloatArray(256));
        var e = assertThrows(RuntimeException.class,
                () -> session.launch(k, new LaunchGrid(new long[] {256}, null), new Object[] {b, b}));
        assertTrue(e.getMessage().contains("WorkerGrid"), e.getMessage());
    }

    @Test
    void halfFloatsLoadAndStoreWithRoundToNearestEven() {
        int n = 4099;
        HalfFloatArray in = new HalfFloatArray(n), out = new HalfFloatArray(n);
        Random r = new Random(6);
        for (int i = 0; i < n; i++) {
            in.set(i, (float) r.nextGaussian() * 100f);
        }
        CompiledKernel k = session.compileSource("Test.halfScale", "halfScale", HALF_SCALE, false);
        run(k, new long[] {n}, null, List.of(in), out, new Object[] {0.3f});
        for (int i = 0; i < n; i++) {
            assertEquals(Float.floatToFloat16(in.get(i) * 0.3f), out.getHalfBits(i), "element " + i);
        }
    }

    @Test
    void buildFailuresCarryTheCompilerLog() {
        var e = assertThrows(KernelBuildException.class, () -> session.compileSource("Test.broken", "broken",
                "extern \"C\" __global__ void broken(float* a, int a_len) { a[0] = undefinedName; }", false));
        assertTrue(e.buildLog().contains("undefinedName"), e.buildLog());
        assertTrue(e.getMessage().contains("Test.broken") && e.getMessage().contains("cuda:0"), e.getMessage());
    }

    @Test
    void hugeAllocationsFailWithOutOfMemoryAndTheSessionGoesOn() {
        var e = assertThrows(DeviceOutOfMemoryException.class,
                () -> session.allocate(1L << 50, Integer.MAX_VALUE, FloatArray.class));
        assertTrue(e.getMessage().contains("CUDA_ERROR_OUT_OF_MEMORY"), e.getMessage());
        buffersRoundTrip();
    }

    @Test
    void launchesAreTimedAfterFinish() {
        int n = 1 << 20;
        IntArray out = new IntArray(n);
        CompiledKernel k = session.compileSource("Test.spin", "spin", SPIN, false);
        DeviceBuffer b = session.allocate(out);
        Launch launch = session.launch(k, new LaunchGrid(new long[] {n}, null), new Object[] {b, 1000});
        assertThrows(IllegalStateException.class, launch::elapsedNanos);
        session.copyToHost(b, out.getSegment());
        session.finish();
        assertTrue(launch.elapsedNanos() > 0, "elapsed " + launch.elapsedNanos());
        for (int i = 0; i < n; i += 4097) {
            int x = i;
            for (int r = 0; r < 1000; r++) {
                x = x * 1664525 + 1013904223;
            }
            assertEquals(x, out.get(i), "element " + i);
        }
    }

    @Test
    void aSessionWorksFromAnotherThread() throws Exception {
        try (ExecutorService other = Executors.newSingleThreadExecutor()) {
            other.submit(this::parallelVectorAdd).get();
        }
    }

    @Test
    void kernelsAreDumpedWithTheirPtxOrCubin(@TempDir Path dir) throws Exception {
        System.setProperty("elattn.dumpKernels", dir.toString());
        try {
            session.compileSource("Test.dumped", "dumped",
                    "extern \"C\" __global__ void dumped(float* a, int a_len) { if (a_len > 0) a[0] = 1.0f; }", false);
        } finally {
            System.clearProperty("elattn.dumpKernels");
        }
        assertTrue(Files.readString(dir.resolve("Test.dumped.cu")).contains("dumped"));
        // PTX where NVRTC gives it (compiling for a virtual architecture, or keeping it beside a CUBIN).
        Path ptx = dir.resolve("Test.dumped.ptx"), cubin = dir.resolve("Test.dumped.cubin");
        assertTrue(Files.exists(ptx) || Files.exists(cubin), "neither " + ptx + " nor " + cubin);
        if (Files.exists(ptx)) {
            assertTrue(Files.readString(ptx).contains(".entry dumped"));
        }
        if (Files.exists(cubin)) {
            assertTrue(CudaModules.isCubin(Files.readAllBytes(cubin)));
        }
    }

    /** Copies {@code inputs} in, launches with the inputs, the output and the scalars, copies the output back. */
    private void run(CompiledKernel k, long[] global, long[] local, List<NativeArray> inputs, NativeArray output,
            Object[] scalars) {
        Object[] args = new Object[inputs.size() + 1 + (scalars == null ? 0 : scalars.length)];
        int i = 0;
        for (NativeArray in : inputs) {
            args[i++] = DeviceArrays.upload(session, in);
        }
        DeviceBuffer out = session.allocate(output);
        args[i++] = out;
        if (scalars != null) {
            System.arraycopy(scalars, 0, args, i, scalars.length);
        }
        session.launch(k, new LaunchGrid(global, local), args);
        session.copyToHost(out, output.getSegment());
        session.finish();
    }
}
