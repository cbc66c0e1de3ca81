package elattn.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.kernel.IntArray;
import elattn.kernel.KernelContext;
import elattn.testing.TestDevices.TestDevice;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Checked mode: on every test device (jvm, where Java checks every index, and OpenCL with the
 * kernels built checked) an index out of range fails the execute with a {@link KernelFaultException}
 * naming the kernel, the array, the index, the array's length and the Java line of the access, for
 * each kind of array: a {@code @Parallel} kernel's parameter (fp32 and fp16, past the end and before
 * the start), a local array, a private array, a device function's parameter. The expected line is
 * the one the kernel's source marks {@code fault: NAME} ({@link IndexFaultKernels}). The plan then
 * runs on: the same plan with the index back in range gives the right results (devices zeroed their
 * fault record and made the faulting access at index 0, so nothing crashed).
 */
class KernelFaultTest {
    private static final int N = 256;
    private static final String GRAPH = "faults";

    private final IntParam shift = new IntParam(0);

    /** The Java line of the access marked {@code fault: name} in kernel {@code kernel}'s generated source. */
    private static int markedLine(String kernel, String name) {
        Method method = Arrays.stream(IndexFaultKernels.class.getMethods()).filter(m -> m.getName().equals(kernel))
                .findFirst().orElseThrow();
        Matcher m = Pattern.compile("^ *// (\\d+): .*// fault: " + Pattern.quote(name) + "$", Pattern.MULTILINE)
                .matcher(Kernel.of(method).openclSource());
        assertTrue(m.find(), "no line marked 'fault: " + name + "' in the source of " + kernel);
        return Integer.parseInt(m.group(1));
    }

    /**
     * Executes the plan with {@code shift} at {@code faultShift}, expecting the fault described,
     * then with shift 0, which must run.
     */
    private void assertFaultThenRecovery(ExecutionPlan plan, TestDevice device, int faultShift, String kernel,
            String array, int index, int length, String mark) {
        shift.set(faultShift);
        KernelFaultException e = assertThrows(KernelFaultException.class, plan::execute);
        String where = "graph " + GRAPH + ", task t (IndexFaultKernels." + kernel + ") on device " + device.get().id();
        assertTrue(e.getMessage().startsWith(where + ": "), e.getMessage());
        assertEquals("IndexFaultKernels." + kernel, e.kernel(), e.getMessage());
        assertEquals(array, e.array(), e.getMessage());
        assertEquals(index, e.index(), e.getMessage());
        assertEquals(length, e.length(), e.getMessage());
        assertEquals("IndexFaultKernels.java", e.file(), e.getMessage());
        assertEquals(markedLine(kernel, mark), e.line(), e.getMessage());
        assertTrue(e.getMessage().contains("index " + index + " is out of range for "), e.getMessage());
        assertTrue(e.getMessage().contains("IndexFaultKernels.java:" + e.line()), e.getMessage());
        shift.set(0);
        plan.execute();
    }

    private ExecutionPlan plan(TestDevice device, TaskGraph graph) {
        return new ExecutionPlan(graph.snapshot()).withDevice(device.get()).withKernelChecks(true);
    }

    private static float[] ramp(int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = i * 0.5f - 7;
        }
        return values;
    }

    /** {@code kernel(in, out, shift)} with {@code in} a ramp, {@code out} read back after every execute. */
    private TaskGraph shiftGraph(TaskFunctions.Task3<FloatArray, FloatArray, Integer> kernel, FloatArray in,
            FloatArray out) {
        return new TaskGraph(GRAPH).transferToDevice(DataTransferMode.FIRST_EXECUTION, in)
                .task("t", kernel, in, out, shift).transferToHost(DataTransferMode.EVERY_EXECUTION, out);
    }

    /** Past the end, then (the same plan, its fault record zeroed) before the start. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void parallelKernelReadsOutsideItsArray(TestDevice device) {
        FloatArray a = FloatArray.fromArray(ramp(N));
        FloatArray out = new FloatArray(N);
        try (ExecutionPlan plan = plan(device, shiftGraph(IndexFaultKernels::shiftedRead, a, out))) {
            assertFaultThenRecovery(plan, device, 1, "shiftedRead", "a", N, N, "parallel");
            assertFaultThenRecovery(plan, device, -1, "shiftedRead", "a", -1, N, "parallel");
        }
        assertArrayEquals(a.toHeapArray(), out.toHeapArray());
    }

    /** A plan that is not told otherwise checks as {@link KernelChecks#PROPERTY} says. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void plansFollowTheSystemProperty(TestDevice device) {
        TaskGraph graph = shiftGraph(IndexFaultKernels::shiftedRead, new FloatArray(N), new FloatArray(N));
        String before = System.getProperty(KernelChecks.PROPERTY);
        System.setProperty(KernelChecks.PROPERTY, "true");
        try (ExecutionPlan plan = new ExecutionPlan(graph.snapshot()).withDevice(device.get())) {
            shift.set(1);
            assertEquals(N, assertThrows(KernelFaultException.class, plan::execute).index());
        } finally {
            if (before == null) {
                System.clearProperty(KernelChecks.PROPERTY);
            } else {
                System.setProperty(KernelChecks.PROPERTY, before);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void halfArrayWrittenPastTheEnd(TestDevice device) {
        HalfFloatArray h = new HalfFloatArray(N);
        TaskGraph graph = new TaskGraph(GRAPH).task("t", IndexFaultKernels::shiftedHalfWrite, h, shift)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, h);
        try (ExecutionPlan plan = plan(device, graph)) {
            assertFaultThenRecovery(plan, device, 1, "shiftedHalfWrite", "h", N, N, "half");
        }
        for (int i = 0; i < N; i++) {
            assertEquals(i, h.get(i), "element " + i);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void localArrayReadPastTheEnd(TestDevice device) {
        FloatArray in = FloatArray.fromArray(ramp(N));
        FloatArray out = new FloatArray(N);
        TaskGraph graph = new TaskGraph(GRAPH).transferToDevice(DataTransferMode.FIRST_EXECUTION, in)
                .task("t", IndexFaultKernels::localShift, new KernelContext(), in, out, shift)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        try (ExecutionPlan plan = plan(device, graph).withGrid(GRAPH + ".t", new WorkerGrid1D(N).setLocalWork(64))) {
            assertFaultThenRecovery(plan, device, 1, "localShift", "tile", 64, 64, "local");
        }
        assertArrayEquals(in.toHeapArray(), out.toHeapArray());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void privateArrayReadPastTheEnd(TestDevice device) {
        IntArray out = new IntArray(N);
        TaskGraph graph = new TaskGraph(GRAPH).task("t", IndexFaultKernels::privateShift, out, shift)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        try (ExecutionPlan plan = plan(device, graph)) {
            assertFaultThenRecovery(plan, device, 1, "privateShift", "p", 4, 4, "private");
        }
        for (int i = 0; i < N; i++) {
            assertEquals(i % 4 + 10 * i, out.get(i), "element " + i);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void deviceFunctionReadsPastTheEnd(TestDevice device) {
        FloatArray values = FloatArray.fromArray(ramp(N));
        FloatArray out = new FloatArray(N);
        try (ExecutionPlan plan = plan(device, shiftGraph(IndexFaultKernels::viaDeviceFunction, values, out))) {
            assertFaultThenRecovery(plan, device, 1, "viaDeviceFunction", "element.source", N, N, "device function");
        }
        assertArrayEquals(values.toHeapArray(), out.toHeapArray());
    }
}
