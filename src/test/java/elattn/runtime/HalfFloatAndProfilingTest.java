package elattn.runtime;

import static elattn.testing.HostArrays.copy;
import static elattn.testing.HostArrays.randomFloats;
import static elattn.testing.HostArrays.randomHalfs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.testing.HostArrays;
import elattn.testing.TestDevices.TestDevice;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** fp16 storage, and what an execute reports: per-task times and bytes moved. */
class HalfFloatAndProfilingTest {
    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void halfFloatArrays(TestDevice testDevice) {
        int n = 999;
        HalfFloatArray x = randomHalfs(n, 41);
        HalfFloatArray y = randomHalfs(n, 42);
        HalfFloatArray expected = copy(y);
        ImmutableTaskGraph graph = new TaskGraph("g")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, x, y)
                .task("axpy", RuntimeTestKernels::halfAxpy, x, y, 0.75f)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, y)
                .snapshot();
        try (ExecutionPlan plan = new ExecutionPlan(graph).withDevice(testDevice.get())) {
            for (int i = 0; i < 2; i++) {
                ExecutionResult r = plan.execute();
                RuntimeTestKernels.halfAxpy(x, expected, 0.75f);
                assertEquals(2L * n, r.getBytesToHost(), "fp16 is 2 bytes an element");
                // a device may fuse the multiply-add, which can move the fp16 rounding by one step (~1e-3)
                HostArrays.assertClose(expected.toHeapArray(), y.toHeapArray(), 2e-3f, "execute " + i);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void resultReportsTasksAndBytes(TestDevice testDevice) {
        int n = 4096;
        FloatArray a = randomFloats(n, 43);
        FloatArray b = randomFloats(n, 44);
        FloatArray c = new FloatArray(n);
        FloatArray d = new FloatArray(n);
        ImmutableTaskGraph graph = new TaskGraph("prof")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, a)
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, b)
                .task("add", RuntimeTestKernels::add, a, b, c)
                .task("acc", RuntimeTestKernels::accumulate, d, c)
                .task("none", RuntimeTestKernels::scaleFirst, a, c, 1f, 0)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, c, d)
                .snapshot();
        try (ExecutionPlan plan = new ExecutionPlan(graph).withDevice(testDevice.get()).withProfiler()) {
            ExecutionResult first = plan.execute();
            assertEquals(List.of("prof.add", "prof.acc", "prof.none"), List.copyOf(first.getTaskNanos().keySet()));
            assertTrue(first.getTaskNanos("prof.add") > 0, first.toString());
            assertTrue(first.getTaskNanos("prof.acc") > 0, first.toString());
            assertEquals(0, first.getTaskNanos("prof.none"), "an empty range does not launch");
            assertEquals(first.getTaskNanos("prof.add") + first.getTaskNanos("prof.acc"), first.getKernelNanos());
            assertTrue(first.getWallNanos() > 0);
            assertEquals(4L * n * 4, first.getBytesToDevice(), "a, b, c, d");
            assertEquals(2L * n * 4, first.getBytesToHost(), "c, d");

            ExecutionResult second = plan.execute();
            assertEquals(1L * n * 4, second.getBytesToDevice(), "only a");
            assertEquals(2L * n * 4, second.getBytesToHost());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void withoutTheProfilerLaunchesAreNotTimedButRunTheSame(TestDevice testDevice) {
        int n = 1000;
        FloatArray a = new FloatArray(n), b = new FloatArray(n), c = new FloatArray(n);
        for (int i = 0; i < n; i++) {
            a.set(i, i);
            b.set(i, 2 * i);
        }
        ImmutableTaskGraph graph = new TaskGraph("quiet")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, a, b)
                .task("add", RuntimeTestKernels::add, a, b, c)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, c)
                .snapshot();
        try (ExecutionPlan plan = new ExecutionPlan(graph).withDevice(testDevice.get()).withoutProfiler()) {
            ExecutionResult observed = ExecutionPlan.observe(r -> { }, plan::execute);
            assertFalse(observed.isProfiled(), "withoutProfiler holds under observe too");
            assertThrows(ElattnRuntimeException.class, observed::getKernelNanos);
            for (int i = 0; i < n; i++) {
                assertEquals(3f * i, c.get(i), "element " + i);
            }
        }
        try (ExecutionPlan plan = new ExecutionPlan(graph).withDevice(testDevice.get())) {
            assertFalse(plan.execute().isProfiled(), "off by default");
            assertTrue(ExecutionPlan.observe(r -> { }, plan::execute).isProfiled(), "on while observed");
        }
    }
}
