package elattn.compiler.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import elattn.compiler.features.LanguageFeatureCases.ContextCase;
import elattn.compiler.features.LanguageFeatureCases.ParallelCase;
import elattn.compiler.features.LanguageFeatureCases.TaskAdder;
import elattn.compiler.features.LanguageFeatureCases.Tolerance;
import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.kernel.IntArray;
import elattn.kernel.KernelContext;
import elattn.kernel.NativeArray;
import elattn.runtime.DataTransferMode;
import elattn.runtime.Device;
import elattn.runtime.ExecutionPlan;
import elattn.runtime.KernelChecks;
import elattn.runtime.TaskGraph;
import elattn.runtime.WorkerGrid;
import elattn.runtime.WorkerGrid1D;
import elattn.runtime.WorkerGrid2D;
import elattn.runtime.WorkerGrid3D;
import elattn.testing.TestDevices;
import elattn.testing.TestDevices.TestDevice;
import java.lang.reflect.InvocationTargetException;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The whole language-feature corpus on every test device ({@link TestDevices}: jvm and OpenCL by
 * default), through a {@link TaskGraph} and an {@link ExecutionPlan} as applications run kernels.
 * Every {@code @Parallel} kernel is checked against the same method called as plain sequential Java
 * on fresh copies of its arguments: int results bit for bit, float and fp16 results within the
 * case's {@link Tolerance} (justified in {@link LanguageFeatureCases}). KernelContext kernels have no
 * sequential meaning, so each is checked against a reference written here.
 */
class LanguageFeatureDeviceTest {
    private static final String GRAPH = "features";

    static Stream<Arguments> parallelRuns() {
        return TestDevices.devices()
                .flatMap(d -> LanguageFeatureCases.parallelCases().stream().map(c -> Arguments.of(d, c)));
    }

    static Stream<Arguments> contextRuns() {
        return TestDevices.devices()
                .flatMap(d -> LanguageFeatureCases.contextCases().stream().map(c -> Arguments.of(d, c)));
    }

    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("parallelRuns")
    void parallelKernelMatchesSequentialJava(TestDevice testDevice, ParallelCase c) throws Exception {
        Device device = testDevice.get();
        Object[] expected = c.arguments().get();
        try {
            c.method().invoke(null, expected);
        } catch (InvocationTargetException e) {
            throw new AssertionError(c + " fails as plain Java", e.getCause());
        }
        Object[] actual = c.arguments().get();
        runOnDevice(device, c.kernel(), c.task(), actual, actual, null, KernelChecks.byDefault());
        for (int i = 0; i < expected.length; i++) {
            String what = c + " on " + testDevice + ", argument " + i;
            switch (expected[i]) {
                case IntArray e -> assertArrayEquals(e.toHeapArray(), ((IntArray) actual[i]).toHeapArray(), what);
                case FloatArray e -> assertFloats(e.toHeapArray(), ((FloatArray) actual[i]).toHeapArray(), c.tolerance(), what);
                case HalfFloatArray e -> assertHalfs(e, (HalfFloatArray) actual[i], c.tolerance(), what);
                default -> {
                    // scalars are inputs only
                }
            }
        }
    }

    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("contextRuns")
    void contextKernelMatchesReference(TestDevice testDevice, ContextCase c) {
        Device device = testDevice.get();
        Object[] args = c.arguments().get();
        Object[] withContext = new Object[args.length + 1];
        withContext[0] = new KernelContext();
        System.arraycopy(args, 0, withContext, 1, args.length);
        runOnDevice(device, c.kernel(), c.task(), withContext, args, grid(c.global(), c.local()), KernelChecks.byDefault());
        String what = c + " on " + testDevice;
        switch (c.kernel()) {
            case "reduceSum" -> assertFloats(treeSums((FloatArray) args[0], ((FloatArray) args[1]).getSize()),
                    ((FloatArray) args[1]).toHeapArray(), LanguageFeatureCases.EXACT, what);
            case "contextIds" -> assertArrayEquals(contextIds(c.global(), c.local()), ((IntArray) args[0]).toHeapArray(), what);
            case "contextIds3D" -> {
                assertArrayEquals(contextIds3D(c.global(), c.local()), ((IntArray) args[0]).toHeapArray(), what);
                assertFloats(moved3D(c.global(), c.local()), ((FloatArray) args[1]).toHeapArray(),
                        LanguageFeatureCases.EXACT, what + ", moved");
            }
            default -> fail("no reference for KernelContext kernel " + c + "; add one to " + getClass().getSimpleName());
        }
    }

    /**
     * Runs one task on {@code device}, its kernel built with index checks or not: every array goes to
     * the device before and comes back after.
     */
    static void runOnDevice(Device device, String kernel, TaskAdder task, Object[] taskArgs, Object[] args,
            WorkerGrid grid, boolean kernelChecks) {
        NativeArray[] arrays = Arrays.stream(args).filter(NativeArray.class::isInstance).map(NativeArray.class::cast)
                .toArray(NativeArray[]::new);
        TaskGraph graph = new TaskGraph(GRAPH).transferToDevice(DataTransferMode.FIRST_EXECUTION, (Object[]) arrays);
        task.add(graph, kernel, taskArgs).transferToHost(DataTransferMode.EVERY_EXECUTION, (Object[]) arrays);
        try (ExecutionPlan plan = new ExecutionPlan(graph.snapshot()).withDevice(device).withKernelChecks(kernelChecks)) {
            if (grid != null) {
                plan.withGrid(GRAPH + "." + kernel, grid);
            }
            plan.execute();
        }
    }

    static WorkerGrid grid(long[] global, long[] local) {
        WorkerGrid grid = switch (global.length) {
            case 1 -> new WorkerGrid1D(global[0]);
            case 2 -> new WorkerGrid2D(global[0], global[1]);
            case 3 -> new WorkerGrid3D(global[0], global[1], global[2]);
            default -> throw new IllegalArgumentException("grids have 1 to 3 dimensions: " + Arrays.toString(global));
        };
        return grid.setLocalWork(local);
    }

    private static void assertFloats(float[] expected, float[] actual, Tolerance tolerance, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i];
            float a = actual[i];
            double allowed = tolerance.allowed(i, e);
            boolean ok = allowed == 0 || Float.isNaN(e) || Float.isInfinite(e)
                    ? Float.floatToIntBits(e) == Float.floatToIntBits(a)
                    : Math.abs((double) e - a) <= allowed;
            if (!ok) {
                fail(what + ": element " + i + " is " + a + ", expected " + e
                        + (allowed == 0 ? " bit for bit" : " within " + allowed));
            }
        }
    }

    /** Bit for bit (NaN as NaN) where the tolerance is 0, else as floats. */
    private static void assertHalfs(HalfFloatArray expected, HalfFloatArray actual, Tolerance tolerance, String what) {
        assertEquals(expected.getSize(), actual.getSize(), what + ": length");
        for (int i = 0; i < expected.getSize(); i++) {
            float e = expected.get(i);
            float a = actual.get(i);
            double allowed = tolerance.allowed(i, e);
            boolean ok = allowed == 0 || Float.isNaN(e) || Float.isInfinite(e)
                    ? expected.getHalfBits(i) == actual.getHalfBits(i) || Float.isNaN(e) && Float.isNaN(a)
                    : Math.abs((double) e - a) <= allowed;
            if (!ok) {
                fail(String.format("%s: element %d is %s (fp16 0x%04x), expected %s (0x%04x)%s", what, i, a,
                        actual.getHalfBits(i), e, expected.getHalfBits(i),
                        allowed == 0 ? " bit for bit" : " within " + allowed));
            }
        }
    }

    /**
     * The work-group tree reduction of {@code reduceSum} replayed in the same order in float: at
     * stride s, element l gets element l + s. Same additions in the same order, and nothing to contract
     * into an fma, so every device must give these sums bit for bit.
     */
    private static float[] treeSums(FloatArray in, int groups) {
        int group = LanguageFeatureKernels.GROUP;
        float[] sums = new float[groups];
        for (int g = 0; g < groups; g++) {
            float[] part = new float[group];
            for (int l = 0; l < group; l++) {
                int i = g * group + l;
                part[l] = i < in.getSize() ? in.get(i) : 0f;
            }
            for (int s = group / 2; s > 0; s /= 2) {
                for (int l = 0; l < s; l++) {
                    part[l] += part[l + s];
                }
            }
            sums[g] = part[0];
        }
        return sums;
    }

    /** What {@code contextIds} writes for a 2-D launch, from the grid alone. */
    private static int[] contextIds(long[] global, long[] local) {
        int gx = (int) global[0];
        int gy = (int) global[1];
        int lx = (int) local[0];
        int ly = (int) local[1];
        int[] out = new int[gx * gy];
        for (int y = 0; y < gy; y++) {
            for (int x = 0; x < gx; x++) {
                int neighbour = (x % lx + 1) % lx;
                // z: global, local and group id 0, global and local size 1
                out[y * gx + x] = neighbour + 10 * (y % ly) + 100 * (x / lx) + 1000 * (y / ly) + 10000 * ly + 100000 * gy
                        + 0 + 0 + 0 + 1 + 1;
            }
        }
        return out;
    }

    /** What {@code contextIds3D} writes: every id and size, and the id of the group-mirrored work item. */
    private static int[] contextIds3D(long[] global, long[] local) {
        int[] g = {(int) global[0], (int) global[1], (int) global[2]};
        int[] l = {(int) local[0], (int) local[1], (int) local[2]};
        int[] out = new int[g[0] * g[1] * g[2] * 16];
        for (int z = 0; z < g[2]; z++) {
            for (int y = 0; y < g[1]; y++) {
                for (int x = 0; x < g[0]; x++) {
                    int o = linear(x, y, z, g) * 16;
                    int[] values = {x, y, z, x % l[0], y % l[1], z % l[2], x / l[0], y / l[1], z / l[2], g[0], g[1], g[2],
                        l[0], l[1], l[2], mirrorOf(x, y, z, g, l)};
                    System.arraycopy(values, 0, out, o, values.length);
                }
            }
        }
        return out;
    }

    private static float[] moved3D(long[] global, long[] local) {
        int[] g = {(int) global[0], (int) global[1], (int) global[2]};
        int[] l = {(int) local[0], (int) local[1], (int) local[2]};
        float[] out = new float[g[0] * g[1] * g[2]];
        for (int z = 0; z < g[2]; z++) {
            for (int y = 0; y < g[1]; y++) {
                for (int x = 0; x < g[0]; x++) {
                    out[linear(x, y, z, g)] = mirrorOf(x, y, z, g, l) * 0.5f + z / l[2];
                }
            }
        }
        return out;
    }

    /** The global linear id of the work item at the mirrored local position (last local index minus this one). */
    private static int mirrorOf(int x, int y, int z, int[] g, int[] l) {
        int localLinear = linear(x % l[0], y % l[1], z % l[2], l);
        int mirror = l[0] * l[1] * l[2] - 1 - localLinear;
        int mx = mirror % l[0];
        int my = mirror / l[0] % l[1];
        int mz = mirror / (l[0] * l[1]);
        return linear(x / l[0] * l[0] + mx, y / l[1] * l[1] + my, z / l[2] * l[2] + mz, g);
    }

    private static int linear(int x, int y, int z, int[] size) {
        return (z * size[1] + y) * size[0] + x;
    }
}
