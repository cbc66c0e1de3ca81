package elattn.runtime;

import static elattn.testing.HostArrays.randomFloats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import elattn.kernel.FloatArray;
import elattn.testing.TestDevices.TestDevice;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** What a benchmark sees of plans it does not hold: every result, build time and device bytes. */
class ExecutionListenerTest {
    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void listenerSeesEveryExecuteWithBytesAndBuilds(TestDevice testDevice) {
        int n = 1000;
        FloatArray a = randomFloats(n, 51);
        FloatArray b = randomFloats(n, 52);
        FloatArray c = new FloatArray(n);
        FloatArray d = new FloatArray(n);
        ImmutableTaskGraph first = new TaskGraph("first")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, a, b)
                .task("add", RuntimeTestKernels::add, a, b, c)
                .persistOnDevice(c)
                .snapshot();
        ImmutableTaskGraph second = new TaskGraph("second")
                .consumeFromDevice(c)
                .task("acc", RuntimeTestKernels::accumulate, d, c)
                .snapshot();
        List<ExecutionResult> seen = new ArrayList<>();
        ExecutionPlan plan = new ExecutionPlan(first, second).withDevice(testDevice.get());
        long outside = ExecutionPlan.observe(seen::add, () -> {
            try (plan) {
                plan.execute("first");
                plan.execute("second");
                plan.execute();
                return plan.getAllocatedBytes();
            }
        });
        plan.close();
        assertEquals(3, seen.size());
        assertEquals(List.of("first"), seen.get(0).getGraphNames());
        assertEquals(List.of("second"), seen.get(1).getGraphNames());
        assertEquals(List.of("first", "second"), seen.get(2).getGraphNames());
        assertEquals(3L * n * 4, seen.get(0).getAllocatedBytes(), "a, b, c");
        assertEquals(4L * n * 4, seen.get(1).getAllocatedBytes(), "and d");
        assertEquals(seen.get(1).getAllocatedBytes(), seen.get(2).getAllocatedBytes(), "nothing new");
        assertEquals(seen.get(2).getAllocatedBytes(), outside);
        assertEquals(0, plan.getAllocatedBytes(), "closed");
        assertTrue(seen.get(0).getBuildNanos() <= seen.get(0).getWallNanos(), seen.get(0).toString());
        assertEquals(0, seen.get(2).getBuildNanos(), "kernels are built once per plan");

        seen.clear();
        try (ExecutionPlan unobserved = new ExecutionPlan(first, second).withDevice(testDevice.get())) {
            unobserved.execute();
        }
        assertTrue(seen.isEmpty(), "outside observe nothing is reported");
    }
}
