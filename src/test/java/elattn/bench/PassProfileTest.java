package elattn.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import elattn.bench.PassProfile.BatchProfile;
import elattn.kernel.FloatArray;
import elattn.model.device.DeviceModel;
import elattn.runtime.Devices;
import elattn.runtime.ExecutionPlan;
import elattn.runtime.RuntimeTestKernels;
import elattn.runtime.TaskGraph;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * How a pass profile splits what it observes, on plans shaped as the model's: a batch-tables graph
 * and an encoder graph (prefill), then the step graph, whose first execute per generation still
 * belongs to the prefill; a batch retried in halves counts both attempts.
 */
class PassProfileTest {
    @Test
    void stepsAfterEachGenerationsFirstAreDecodeSteps() {
        int n = 256;
        FloatArray a = new FloatArray(n);
        FloatArray b = new FloatArray(n);
        FloatArray c = new FloatArray(n);
        FloatArray d = new FloatArray(n);
        ExecutionPlan plan = new ExecutionPlan(
                new TaskGraph("batch").task("t", RuntimeTestKernels::add, a, b, c).snapshot(),
                new TaskGraph("encoder").task("t", RuntimeTestKernels::add, a, b, c).snapshot(),
                new TaskGraph(DeviceModel.STEP_GRAPH).task("x", RuntimeTestKernels::add, a, b, c)
                        .task("y", RuntimeTestKernels::add, a, c, d).snapshot()).withDevice(Devices.byId("jvm"));
        PassProfile profile = PassProfile.unlimited();
        try (plan) {
            profile.start();
            profile.encoded();
            ExecutionPlan.observe(profile, () -> {
                generation(plan, 4);
                profile.batchDone(2, 7);
                generation(plan, 2); // out of device memory, say: the batch is generated again in halves
                generation(plan, 3);
                profile.batchDone(1, 5);
                return null;
            });
        }
        List<BatchProfile> batches = profile.batches();
        assertEquals(List.of(2, 1), batches.stream().map(BatchProfile::records).toList());
        assertEquals(List.of(7, 5), batches.stream().map(BatchProfile::width).toList());
        assertEquals(List.of(3, 6), batches.stream().map(x -> x.prefill().steps()).toList(),
                "tables, encoder and the first step, per generation");
        assertEquals(List.of(3, 3), batches.stream().map(x -> x.decode().steps()).toList());
        assertEquals(List.of(6L, 6L), batches.stream().map(x -> x.decode().launches()).toList(), "two tasks a step");
        assertEquals(9, profile.prefill().steps());
        assertEquals(6, profile.decode().steps());
        assertEquals(12, profile.decode().launches());
        assertEquals(2.0, profile.decode().launchesPerStep());
        assertEquals(List.of("decode.x", "decode.y"), List.copyOf(profile.decode().taskNanos().keySet()));
        for (BatchProfile x : batches) {
            assertTrue(x.decode().wallSeconds() >= x.decode().executeSeconds(), "each step with the time before it");
            assertTrue(x.decode().executeSeconds() >= x.decode().kernelSeconds());
            assertTrue(x.setupSeconds() >= 0 && x.setupSeconds() + x.firstExecuteSeconds() <= x.seconds());
            assertTrue(x.planBytes() >= 4L * n * 4, "a, b, c and d");
        }
        assertEquals(0, batches.get(1).buildSeconds(), "the plan's kernels were built in the first batch");
    }

    /** One generation: the batch tables, the encoder, then {@code steps} executes of the step graph. */
    private static void generation(ExecutionPlan plan, int steps) {
        plan.execute("batch");
        plan.execute("encoder");
        for (int i = 0; i < steps; i++) {
            plan.execute(DeviceModel.STEP_GRAPH);
        }
    }

    @Test
    void theTimeLimitCountsFromThePassesStart() {
        PassProfile limited = PassProfile.limitedTo(Duration.ZERO);
        assertFalse(limited.pastDeadline(), "a warm-up comes before the pass: its time does not count");
        limited.start();
        assertTrue(limited.pastDeadline());
        PassProfile unlimited = PassProfile.unlimited();
        unlimited.start();
        assertFalse(unlimited.pastDeadline());
    }
}
