package elattn.runtime;

import static elattn.testing.HostArrays.assertClose;
import static elattn.testing.HostArrays.copy;
import static elattn.testing.HostArrays.randomFloats;
import static org.junit.jupiter.api.Assertions.assertEquals;

import elattn.kernel.FloatArray;
import elattn.kernel.KernelContext;
import elattn.testing.TestDevices.TestDevice;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A plan {@link ExecutionPlan#withCudaGraph() with CUDA graphs} computes what one without does
 * while its scalars, its work-group grid and whether a task's range is empty change from one
 * execute to the next (on CUDA: node updates in a replayed graph, and a second recording when a
 * task leaves the sequence and comes back; elsewhere the launches go one by one). The kernels
 * called as Java are the oracle.
 */
class CudaGraphTest {
    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void recordedSequencesFollowScalarsGridsAndEmptyRanges(TestDevice testDevice) {
        int capacity = 1024;
        FloatArray in = randomFloats(capacity, 5);
        FloatArray scaled = new FloatArray(capacity);
        FloatArray acc = new FloatArray(capacity);
        FloatArray partials = new FloatArray(capacity / 64);
        IntParam live = new IntParam(0);
        FloatParam scale = new FloatParam(1f);
        WorkerGrid1D groups = new WorkerGrid1D(64);
        groups.setLocalWork(64);
        ImmutableTaskGraph graph = new TaskGraph("step")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, in, acc)
                .task("scale", RuntimeTestKernels::scaleFirst, in, scaled, scale, live)
                .task("acc", RuntimeTestKernels::accumulate, acc, scaled)
                .task("sums", RuntimeTestKernels::groupSums, new KernelContext(), scaled, partials)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, scaled, acc, partials)
                .snapshot();
        FloatArray expectedScaled = new FloatArray(capacity);
        FloatArray expectedAcc = new FloatArray(capacity);
        try (ExecutionPlan plan = new ExecutionPlan(graph).withDevice(testDevice.get()).withCudaGraph()
                .withGrid("step.sums", groups)) {
            // 0: "scale" has an empty range and is left out of the sequence; it comes back at 2.
            int[] sizes = {5, 300, 0, 1024, 17, 0, 640};
            int[] sumGroups = {1, 16, 4, 16, 2, 1, 10};
            for (int step = 0; step < sizes.length; step++) {
                live.set(sizes[step]);
                scale.set(step + 0.25f);
                groups.setGlobalWork(64L * sumGroups[step], 1, 1);
                plan.execute();
                RuntimeTestKernels.scaleFirst(copy(in), expectedScaled, scale.get(), live.get());
                RuntimeTestKernels.accumulate(expectedAcc, expectedScaled);
                String what = "step " + step + " with n=" + sizes[step];
                assertClose(expectedScaled, scaled, what);
                assertClose(expectedAcc, acc, what);
                for (int g = 0; g < sumGroups[step]; g++) {
                    float sum = 0;
                    for (int i = 64 * g; i < 64 * (g + 1); i++) {
                        sum += expectedScaled.get(i);
                    }
                    assertEquals(sum, partials.get(g), 1e-3f * Math.max(1, Math.abs(sum)), what + ", group " + g);
                }
            }
        }
    }
}
