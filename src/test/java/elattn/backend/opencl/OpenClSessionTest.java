package elattn.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.kernel.IntArray;
import elattn.kernel.NativeArray;
import elattn.runtime.DeviceBuffer;
import elattn.runtime.DeviceOutOfMemoryException;
import elattn.runtime.DeviceSession.Launch;
import elattn.runtime.KernelBuildException;
import elattn.runtime.LaunchGrid;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The session on a real OpenCL device (PoCL on CI), with hand-written OpenCL C in the shape the
 * kernel compiler emits (device C ABI: each array followed by its length; grid-stride loops for
 * {@code @Parallel} kernels), checked against plain sequential Java.
 */
class OpenClSessionTest {
    private static final String VECTOR_ADD = """
            __kernel void vectorAdd(__global const float* a, int aLength, __global const float* b, int bLength,
                                    __global float* c, int cLength) {
                for (int i = get_global_id(0); i < cLength; i += get_global_size(0)) {
                    c[i] = a[i] + b[i];
                }
            }
            """;

    private OpenClSession session;

    @BeforeEach
    void open() {
        session = OpenClTestDevices.open();
    }

    @AfterEach
    void close() {
        session.close();
    }

    private OpenClKernel vectorAdd() {
        return session.compileSource("vectorAdd", VECTOR_ADD, List.of(FloatArray.class, FloatArray.class,
                FloatArray.class), false);
    }

    private DeviceBuffer upload(NativeArray array) {
        DeviceBuffer buffer = session.allocate(array);
        session.copyToDevice(array.getSegment(), buffer);
        return buffer;
    }

    private static FloatArray randomFloats(Random random, int n) {
        FloatArray a = new FloatArray(n);
        for (int i = 0; i < n; i++) {
            a.set(i, random.nextFloat() * 2 - 1);
        }
        return a;
    }

    @Test
    void buffersRoundTripEveryElementType() {
        Random random = new Random(1);
        FloatArray floats = randomFloats(random, 1001);
        IntArray ints = new IntArray(77);
        for (int i = 0; i < ints.getSize(); i++) {
            ints.set(i, random.nextInt());
        }
        HalfFloatArray halves = HalfFloatArray.fromArray(1.5f, -2.25f, 65504f, 0.000061035156f, 3.14159f);
        for (NativeArray array : List.of(floats, ints, halves, new FloatArray(0))) {
            DeviceBuffer buffer = upload(array);
            assertEquals(array.getNumBytes(), buffer.byteSize());
            assertEquals(array.getSize(), buffer.length());
            NativeArray back = switch (array) {
                case FloatArray f -> new FloatArray(f.getSize());
                case IntArray i -> new IntArray(i.getSize());
                case HalfFloatArray h -> new HalfFloatArray(h.getSize());
            };
            session.copyToHost(buffer, back.getSegment());
            session.finish();
            assertEquals(-1, back.getSegment().mismatch(array.getSegment()), "round trip of " + array);
        }
    }

    @Test
    void vectorAddMatchesJavaForRangesOfAnySize() {
        Random random = new Random(2);
        for (int n : new int[] {1, 255, 1000, 100_003}) {
            FloatArray a = randomFloats(random, n);
            FloatArray b = randomFloats(random, n);
            FloatArray c = new FloatArray(n);
            DeviceBuffer cBuffer = session.allocate(c);
            Launch launch = session.launch(vectorAdd(), new LaunchGrid(new long[] {n}, null),
                    new Object[] {upload(a), upload(b), cBuffer});
            session.copyToHost(cBuffer, c.getSegment());
            session.finish();
            for (int i = 0; i < n; i++) {
                assertEquals(a.get(i) + b.get(i), c.get(i), "n=" + n + " i=" + i);
            }
            assertTrue(launch.elapsedNanos() >= 0);
        }
    }

    @Test
    void twoDimensionalKernelCoversTheWholeRange() {
        // The innermost parallel loop (columns) is dimension 0, as the compiler emits it.
        String source = """
                __kernel void scaleRows(__global const float* m, int mLength, __global float* out, int outLength,
                                        int rows, int cols, float factor) {
                    for (int r = get_global_id(1); r < rows; r += get_global_size(1)) {
                        for (int c = get_global_id(0); c < cols; c += get_global_size(0)) {
                            out[r * cols + c] = m[r * cols + c] * factor + (float) r;
                        }
                    }
                }
                """;
        OpenClKernel kernel = session.compileSource("scaleRows", source,
                List.of(FloatArray.class, FloatArray.class, int.class, int.class, float.class), false);
        int rows = 37;
        int cols = 53;
        FloatArray m = randomFloats(new Random(3), rows * cols);
        FloatArray out = new FloatArray(rows * cols);
        DeviceBuffer outBuffer = session.allocate(out);
        session.launch(kernel, new LaunchGrid(new long[] {cols, rows}, null),
                new Object[] {upload(m), outBuffer, rows, cols, 0.5f});
        session.copyToHost(outBuffer, out.getSegment());
        session.finish();
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                assertEquals(m.get(r * cols + c) * 0.5f + r, out.get(r * cols + c), "r=" + r + " c=" + c);
            }
        }
    }

    @Test
    void workGroupReductionWithLocalMemory() {
        String source = """
                __kernel void partialSums(__global const float* in, int inLength, __global float* sums, int sumsLength) {
                    __local float scratch[128];
                    int lid = get_local_id(0);
                    int gid = get_global_id(0);
                    scratch[lid] = gid < inLength ? in[gid] : 0.0f;
                    barrier(CLK_LOCAL_MEM_FENCE);
                    for (int stride = get_local_size(0) / 2; stride > 0; stride /= 2) {
                        if (lid < stride) {
                            scratch[lid] += scratch[lid + stride];
                        }
                        barrier(CLK_LOCAL_MEM_FENCE);
                    }
                    if (lid == 0) {
                        sums[get_group_id(0)] = scratch[0];
                    }
                }
                """;
        OpenClKernel kernel = session.compileSource("partialSums", source, List.of(FloatArray.class, FloatArray.class), true);
        int n = 1000;
        int groups = 8;
        FloatArray in = randomFloats(new Random(4), n);
        FloatArray sums = new FloatArray(groups);
        DeviceBuffer sumsBuffer = session.allocate(sums);
        session.launch(kernel, new LaunchGrid(new long[] {groups * 128}, new long[] {128}),
                new Object[] {upload(in), sumsBuffer});
        session.copyToHost(sumsBuffer, sums.getSegment());
        session.finish();
        for (int g = 0; g < groups; g++) {
            double expected = 0;
            for (int i = g * 128; i < Math.min(n, (g + 1) * 128); i++) {
                expected += in.get(i);
            }
            assertEquals(expected, sums.get(g), 1e-4, "group " + g);
        }
    }

    @Test
    void halfFloatsLoadAndStoreLikeJava() {
        // (x + offset) * scale, not x * scale + offset: OpenCL C may contract the latter into one fma.
        String source = """
                __kernel void affineHalf(__global const half* x, int xLength, __global half* y, int yLength,
                                         float scale, long offsetBits) {
                    for (int i = get_global_id(0); i < yLength; i += get_global_size(0)) {
                        vstore_half((vload_half(i, x) + (float) offsetBits) * scale, i, y);
                    }
                }
                """;
        OpenClKernel kernel = session.compileSource("affineHalf", source,
                List.of(HalfFloatArray.class, HalfFloatArray.class, float.class, long.class), false);
        int n = 513;
        Random random = new Random(5);
        HalfFloatArray x = new HalfFloatArray(n);
        for (int i = 0; i < n; i++) {
            x.set(i, (random.nextFloat() - 0.5f) * 100);
        }
        HalfFloatArray y = new HalfFloatArray(n);
        DeviceBuffer yBuffer = session.allocate(y);
        session.launch(kernel, new LaunchGrid(new long[] {n}, null), new Object[] {upload(x), yBuffer, 1.7f, 3L});
        session.copyToHost(yBuffer, y.getSegment());
        session.finish();
        HalfFloatArray expected = new HalfFloatArray(n);
        for (int i = 0; i < n; i++) {
            expected.set(i, (x.get(i) + 3f) * 1.7f);
        }
        for (int i = 0; i < n; i++) {
            assertEquals(expected.getHalfBits(i), y.getHalfBits(i), "element " + i + ": " + x.get(i));
        }
    }

    @Test
    void kernelsAreBuiltOncePerSession() {
        assertSame(vectorAdd(), vectorAdd());
    }

    @Test
    void emptyRangeLaunchesNothing() {
        FloatArray empty = new FloatArray(0);
        DeviceBuffer e = session.allocate(empty);
        Launch launch = session.launch(vectorAdd(), new LaunchGrid(new long[] {0}, null), new Object[] {e, e, e});
        session.finish();
        assertEquals(0, launch.elapsedNanos());
    }

    @Test
    void launchTimeIsKnownOnlyAfterFinish() {
        FloatArray a = randomFloats(new Random(6), 64);
        DeviceBuffer buffer = upload(a);
        Launch launch = session.launch(vectorAdd(), new LaunchGrid(new long[] {64}, null),
                new Object[] {buffer, buffer, session.allocate(a)});
        assertThrows(IllegalStateException.class, launch::elapsedNanos);
        session.finish();
        assertTrue(launch.elapsedNanos() >= 0);
    }

    @Test
    void sourceThatDoesNotBuildGivesTheCompilerLog() {
        String broken = "__kernel void broken(__global float* a, int aLength) { a[0] = undeclaredThing; }";
        KernelBuildException e = assertThrows(KernelBuildException.class,
                () -> session.compileSource("broken", broken, List.of(FloatArray.class), false));
        assertTrue(e.buildLog().contains("undeclaredThing"), e.buildLog());
        assertTrue(e.getMessage().contains("broken") && e.getMessage().contains(session.device().id()), e.getMessage());
    }

    @Test
    void allocationLargerThanTheDeviceAllowsIsOutOfMemory() {
        long max = session.device().maxAllocationBytes();
        long bytes = (max / Float.BYTES + 1) * Float.BYTES;
        org.junit.jupiter.api.Assumptions.assumeTrue(bytes / Float.BYTES <= Integer.MAX_VALUE,
                "the device allows buffers larger than any array");
        // Only the length and type of the array matter to allocate(): a view of no real memory will do.
        FloatArray huge = FloatArray.fromSegment(MemorySegment.NULL.reinterpret(bytes));
        DeviceOutOfMemoryException e = assertThrows(DeviceOutOfMemoryException.class, () -> session.allocate(huge));
        assertTrue(e.getMessage().contains("CL_DEVICE_MAX_MEM_ALLOC_SIZE"), e.getMessage());
    }

    @Test
    void wrongArgumentsAreRejectedWithTheirPosition() {
        FloatArray a = new FloatArray(4);
        DeviceBuffer buffer = session.allocate(a);
        DeviceBuffer ints = session.allocate(new IntArray(4));
        LaunchGrid grid = new LaunchGrid(new long[] {4}, null);
        var wrongType = assertThrows(IllegalArgumentException.class,
                () -> session.launch(vectorAdd(), grid, new Object[] {buffer, ints, buffer}));
        assertTrue(wrongType.getMessage().contains("argument 1"), wrongType.getMessage());
        assertThrows(IllegalArgumentException.class, () -> session.launch(vectorAdd(), grid, new Object[] {buffer, buffer}));
        assertThrows(IllegalArgumentException.class,
                () -> session.copyToDevice(MemorySegment.ofArray(new float[4]), buffer));
        try (OpenClSession other = OpenClTestDevices.open()) {
            DeviceBuffer foreign = other.allocate(a);
            assertThrows(IllegalArgumentException.class,
                    () -> session.launch(vectorAdd(), grid, new Object[] {buffer, buffer, foreign}));
        }
    }

    @Test
    void sessionWorksFromAnotherThread() throws Exception {
        FloatArray a = randomFloats(new Random(7), 300);
        FloatArray c = new FloatArray(300);
        try (ExecutorService other = Executors.newSingleThreadExecutor()) {
            other.submit(() -> {
                DeviceBuffer in = upload(a);
                DeviceBuffer out = session.allocate(c);
                session.launch(vectorAdd(), new LaunchGrid(new long[] {300}, null), new Object[] {in, in, out});
                session.copyToHost(out, c.getSegment());
                session.finish();
            }).get();
        }
        for (int i = 0; i < 300; i++) {
            assertEquals(a.get(i) * 2, c.get(i));
        }
    }

    @Test
    void closedSessionRefusesWork() {
        session.close();
        assertThrows(IllegalStateException.class, () -> session.allocate(new FloatArray(1)));
        session.close();
    }

    @Test
    void dumpsEachBuiltSource(@TempDir Path dir) throws Exception {
        System.setProperty(OpenClSession.DUMP_PROPERTY, dir.toString());
        try {
            vectorAdd();
        } finally {
            System.clearProperty(OpenClSession.DUMP_PROPERTY);
        }
        assertEquals(VECTOR_ADD, Files.readString(dir.resolve("vectorAdd.cl")));
    }
}
