package elattn.runtime;

import static elattn.testing.HostArrays.randomFloats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import elattn.kernel.FloatArray;
import elattn.testing.TestDevices.TestDevice;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link SharedBuffers}: arrays that several plans read cross the bus once, a plan's close leaves
 * them, and a plan cannot send one at every execute.
 */
class SharedBuffersTest {
    private static final int N = 777;
    private static final long FLOATS = N * 4L;

    /** A plan adding the shared {@code weight} to its own {@code x} into {@code sum}. */
    private static ExecutionPlan plan(TestDevice device, SharedBuffers shared, FloatArray weight, FloatArray x,
            FloatArray sum) {
        ImmutableTaskGraph graph = new TaskGraph("g")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, weight, x)
                .task("add", RuntimeTestKernels::add, weight, x, sum)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, sum)
                .snapshot();
        return new ExecutionPlan(graph).withDevice(device.get()).withSharedBuffers(shared);
    }

    private static float[] expectedSum(FloatArray a, FloatArray b) {
        float[] out = new float[N];
        for (int i = 0; i < N; i++) {
            out[i] = a.get(i) + b.get(i);
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void plansShareOneCopyThatOutlivesThem(TestDevice device) {
        FloatArray weight = randomFloats(N, 1);
        FloatArray x1 = randomFloats(N, 2);
        FloatArray x2 = randomFloats(N, 3);
        FloatArray sum1 = new FloatArray(N);
        FloatArray sum2 = new FloatArray(N);
        try (SharedBuffers shared = new SharedBuffers(device.get()).add(List.of(weight))) {
            ExecutionPlan first = plan(device, shared, weight, x1, sum1);
            ExecutionResult r1 = first.execute();
            assertArrayEquals(expectedSum(weight, x1), sum1.toHeapArray(), "first plan");
            // x and sum (placed by a copy, as arrays no graph sends are), not the weight
            assertEquals(2 * FLOATS, r1.getBytesToDevice(), "bytes the first plan sends");
            assertEquals(2 * FLOATS, first.getAllocatedBytes(), "the first plan holds x and sum, not the weight");
            assertEquals(FLOATS, shared.getAllocatedBytes(), "the weight is held once, by the shared buffers");
            weight.init(-5f); // the device keeps the copy made for the first plan
            try (ExecutionPlan second = plan(device, shared, weight, x2, sum2)) {
                first.close();
                ExecutionResult r2 = second.execute();
                assertEquals(2 * FLOATS, r2.getBytesToDevice(), "bytes the second plan sends");
                FloatArray original = randomFloats(N, 1);
                assertArrayEquals(expectedSum(original, x2), sum2.toHeapArray(), "second plan, first one closed");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void aSharedArrayIsNotSentAtEveryExecute(TestDevice device) {
        FloatArray weight = randomFloats(N, 4);
        FloatArray x = randomFloats(N, 5);
        FloatArray sum = new FloatArray(N);
        ImmutableTaskGraph graph = new TaskGraph("g")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, weight)
                .task("add", RuntimeTestKernels::add, weight, x, sum)
                .snapshot();
        try (SharedBuffers shared = new SharedBuffers(device.get()).add(List.of(weight));
                ExecutionPlan plan = new ExecutionPlan(graph).withDevice(device.get()).withSharedBuffers(shared)) {
            ElattnRuntimeException e = assertThrows(ElattnRuntimeException.class, plan::execute);
            assertTrue(e.getMessage().contains("shared buffer"), e.getMessage());
        }
    }
}
