package elattn.backend.opencl;

import static elattn.testing.HostArrays.assertGroupSums;
import static elattn.testing.HostArrays.randomFloats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.kernel.NativeArray;
import elattn.runtime.DeviceBuffer;
import elattn.runtime.DeviceSession.CompiledKernel;
import elattn.runtime.Kernel;
import elattn.runtime.LaunchGrid;
import elattn.testing.DeviceArrays;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kernels written in Java and translated by the kernel compiler ({@link CompiledKernels}), built and
 * run through the {@code DeviceSession} SPI as the runtime does, checked against plain Java.
 */
class CompiledKernelTest {
    private OpenClSession session;

    @BeforeEach
    void open() {
        session = OpenClTestDevices.open();
    }

    @AfterEach
    void close() {
        if (session != null) { // null when open() skipped the test: no OpenCL device
            session.close();
        }
    }

    static Kernel kernel(String name) {
        Method method = Arrays.stream(CompiledKernels.class.getMethods())
                .filter(m -> m.getName().equals(name)).findFirst().orElseThrow();
        return Kernel.of(method);
    }

    private DeviceBuffer upload(NativeArray array) {
        return DeviceArrays.upload(session, array);
    }

    /** Launches a {@code @Parallel} kernel over the range its Java form computes, as the runtime does. */
    private void launchParallel(Kernel kernel, Object[] javaArgs, Object[] deviceArgs) {
        session.launch(session.compile(kernel), new LaunchGrid(kernel.jvm().range(javaArgs), null), deviceArgs);
    }

    @Test
    void vectorAdd() {
        Kernel kernel = kernel("vectorAdd");
        Random random = new Random(11);
        for (int n : new int[] {1, 999, 70_001}) {
            FloatArray a = randomFloats(random, n);
            FloatArray b = randomFloats(random, n);
            FloatArray c = new FloatArray(n);
            DeviceBuffer cBuffer = session.allocate(c);
            launchParallel(kernel, new Object[] {a, b, c}, new Object[] {upload(a), upload(b), cBuffer});
            session.copyToHost(cBuffer, c.getSegment());
            session.finish();
            for (int i = 0; i < n; i++) {
                assertEquals(a.get(i) + b.get(i), c.get(i), "n=" + n + " i=" + i);
            }
        }
    }

    @Test
    void twoDimensionalKernel() {
        Kernel kernel = kernel("scaleRows");
        int rows = 45;
        int cols = 71;
        FloatArray m = randomFloats(new Random(12), rows * cols);
        FloatArray out = new FloatArray(rows * cols);
        DeviceBuffer outBuffer = session.allocate(out);
        // factor 0.5: m * factor is exact, so a device that fuses the multiply-add gives the same result.
        launchParallel(kernel, new Object[] {m, out, rows, cols, 0.5f}, new Object[] {upload(m), outBuffer, rows, cols, 0.5f});
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
        Kernel kernel = kernel("groupSums");
        assertTrue(kernel.usesContext());
        int n = 3000;
        int groups = (n + CompiledKernels.GROUP - 1) / CompiledKernels.GROUP;
        FloatArray in = randomFloats(new Random(13), n);
        FloatArray sums = new FloatArray(groups);
        DeviceBuffer sumsBuffer = session.allocate(sums);
        var launch = session.launch(session.compile(kernel),
                new LaunchGrid(new long[] {(long) groups * CompiledKernels.GROUP}, new long[] {CompiledKernels.GROUP}),
                new Object[] {upload(in), sumsBuffer});
        session.copyToHost(sumsBuffer, sums.getSegment());
        session.finish();
        assertTrue(launch.elapsedNanos() > 0, "the device time comes from the profiling event");
        assertGroupSums(in, CompiledKernels.GROUP, sums, 1e-4);
    }

    @Test
    void halfFloatLoadAndStore() {
        Kernel kernel = kernel("shiftThenScaleHalf");
        int n = 777;
        Random random = new Random(14);
        HalfFloatArray x = new HalfFloatArray(n);
        for (int i = 0; i < n; i++) {
            x.set(i, (random.nextFloat() - 0.5f) * 200);
        }
        HalfFloatArray y = new HalfFloatArray(n);
        DeviceBuffer yBuffer = session.allocate(y);
        launchParallel(kernel, new Object[] {x, y, 1.3f, 5L}, new Object[] {upload(x), yBuffer, 1.3f, 5L});
        session.copyToHost(yBuffer, y.getSegment());
        session.finish();
        HalfFloatArray expected = new HalfFloatArray(n);
        for (int i = 0; i < n; i++) {
            expected.set(i, (x.get(i) + 5L) * 1.3f);
        }
        for (int i = 0; i < n; i++) {
            assertEquals(expected.getHalfBits(i), y.getHalfBits(i), "element " + i + " from " + x.get(i));
        }
    }

    @Test
    void eachKernelIsBuiltOnceAndDumpedUnderItsFullName(@TempDir Path dir) throws Exception {
        Kernel kernel = kernel("vectorAdd");
        CompiledKernel first;
        System.setProperty(OpenClSession.DUMP_PROPERTY, dir.toString());
        try {
            first = session.compile(kernel);
        } finally {
            System.clearProperty(OpenClSession.DUMP_PROPERTY);
        }
        assertSame(first, session.compile(kernel));
        assertSame(kernel, first.kernel());
        assertEquals(kernel.openclSource(),
                Files.readString(dir.resolve("elattn.backend.opencl.CompiledKernels.vectorAdd.cl")));
    }
}
