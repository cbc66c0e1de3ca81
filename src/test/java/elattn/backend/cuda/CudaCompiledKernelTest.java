package elattn.backend.cuda;

import static elattn.testing.HostArrays.assertGroupSums;
import static elattn.testing.HostArrays.gaussianFloats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.kernel.IntArray;
import elattn.kernel.NativeArray;
import elattn.runtime.DeviceBuffer;
import elattn.runtime.DeviceSession;
import elattn.runtime.DeviceSession.CompiledKernel;
import elattn.runtime.Kernel;
import elattn.runtime.LaunchGrid;
import elattn.runtime.RuntimeTestKernels;
import elattn.testing.DeviceArrays;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Kernels translated by the kernel compiler, built by NVRTC and run through {@link DeviceSession}
 * on a real GPU (skipped where there is none), checked against the same kernels run as Java.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CudaCompiledKernelTest {
    private DeviceSession session;

    @BeforeAll
    void open() {
        CudaBackend backend = new CudaBackend();
        assumeFalse(backend.devices().isEmpty(), () -> "no CUDA device: " + backend.unavailableReason().orElse(""));
        session = backend.devices().get(0).open();
    }

    @AfterAll
    void close() {
        if (session != null) {
            session.close();
        }
    }

    @Test
    void parallelKernelsMatchTheirJava() {
        int n = 1_000_003;
        FloatArray a = gaussianFloats(n, 1), b = gaussianFloats(n, 2), c = new FloatArray(n), expected = new FloatArray(n);
        runParallel("add", new Object[] {a, b, c}, c);
        RuntimeTestKernels.add(a, b, expected);
        for (int i = 0; i < n; i++) {
            assertEquals(expected.get(i), c.get(i), "element " + i);
        }
    }

    @Test
    void twoDimensionalKernelsWithScalarsMatchTheirJava() {
        int rows = 300, cols = 517;
        FloatArray in = gaussianFloats(rows * cols, 3), out = new FloatArray(rows * cols), expected = new FloatArray(rows * cols);
        runParallel("affine", new Object[] {in, out, rows, cols, 1.5f, 7L}, out);
        RuntimeTestKernels.affine(in, expected, rows, cols, 1.5f, 7L);
        for (int i = 0; i < rows * cols; i++) {
            // NVRTC may fuse the multiply-add, skipping the product's rounding.
            float tolerance = Math.ulp(in.get(i) * 1.5f) + Math.ulp(expected.get(i));
            assertEquals(expected.get(i), out.get(i), tolerance, "element " + i);
        }
    }

    @Test
    void halfFloatKernelsMatchTheirJava() {
        int n = 4099;
        HalfFloatArray x = new HalfFloatArray(n), y = new HalfFloatArray(n), expected = new HalfFloatArray(n);
        Random r = new Random(4);
        for (int i = 0; i < n; i++) {
            x.set(i, (float) r.nextGaussian() * 10);
            y.set(i, (float) r.nextGaussian() * 10);
            expected.set(i, y.get(i));
        }
        DeviceBuffer bx = upload(x);
        DeviceBuffer by = upload(y);
        launch("halfAxpy", new Object[] {x, y, 0.75f}, new Object[] {bx, by, 0.75f}, null);
        session.copyToHost(by, y.getSegment());
        session.finish();
        RuntimeTestKernels.halfAxpy(x, expected, 0.75f);
        for (int i = 0; i < n; i++) {
            // A fused multiply-add can round differently by one fp16 step.
            float e = expected.get(i);
            assertEquals(e, y.get(i), Math.max(Math.abs(e), 0x1p-14f) * 0x1p-10f, "element " + i);
        }
    }

    @Test
    void workGroupKernelsUseLocalMemoryAndBarriers() {
        int groups = 64, local = 256;
        FloatArray in = gaussianFloats(groups * local, 5), sums = new FloatArray(groups);
        DeviceBuffer bin = upload(in);
        DeviceBuffer bsums = session.allocate(sums);
        launch("groupSums", null, new Object[] {bin, bsums}, new LaunchGrid(new long[] {groups * local}, new long[] {local}));
        session.copyToHost(bsums, sums.getSegment());
        session.finish();
        assertGroupSums(in, local, sums, 1e-4);
    }

    @Test
    void kernelsAreBuiltOnceAndArgumentsCheckedAgainstTheirJavaSignature() {
        Kernel add = kernel("add");
        CompiledKernel k = session.compile(add);
        assertSame(k, session.compile(add));
        assertSame(add, k.kernel());
        DeviceBuffer floats = session.allocate(new FloatArray(8));
        DeviceBuffer ints = session.allocate(new IntArray(8));
        LaunchGrid grid = new LaunchGrid(new long[] {8}, null);
        var e = assertThrows(IllegalArgumentException.class,
                () -> session.launch(k, grid, new Object[] {floats, ints, floats}));
        assertTrue(e.getMessage().contains("argument 1") && e.getMessage().contains("FloatArray"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> session.launch(k, grid, new Object[] {floats, floats}));
        assertTrue(e.getMessage().contains("takes 3 arguments"), e.getMessage());
    }

    /** Uploads the arrays among {@code javaArgs}, launches over the kernel's own range, downloads {@code out}. */
    private void runParallel(String method, Object[] javaArgs, NativeArray out) {
        Object[] deviceArgs = new Object[javaArgs.length];
        DeviceBuffer outBuffer = null;
        for (int i = 0; i < javaArgs.length; i++) {
            if (javaArgs[i] instanceof NativeArray array) {
                deviceArgs[i] = upload(array);
                if (array == out) {
                    outBuffer = (DeviceBuffer) deviceArgs[i];
                }
            } else {
                deviceArgs[i] = javaArgs[i];
            }
        }
        launch(method, javaArgs, deviceArgs, null);
        session.copyToHost(outBuffer, out.getSegment());
        session.finish();
    }

    /** Launches over {@code grid}, or for a {@code @Parallel} kernel over its range for {@code javaArgs}. */
    private void launch(String method, Object[] javaArgs, Object[] deviceArgs, LaunchGrid grid) {
        Kernel kernel = kernel(method);
        LaunchGrid g = grid != null ? grid : new LaunchGrid(kernel.jvm().range(javaArgs), null);
        session.launch(session.compile(kernel), g, deviceArgs);
    }

    private DeviceBuffer upload(NativeArray array) {
        return DeviceArrays.upload(session, array);
    }

    private static Kernel kernel(String method) {
        for (var m : RuntimeTestKernels.class.getMethods()) {
            if (m.getName().equals(method)) {
                return Kernel.of(m);
            }
        }
        throw new IllegalArgumentException(method);
    }
}
