package elattn.testing;

import elattn.runtime.ExecutionPlan;
import elattn.runtime.TaskGraph;
import elattn.runtime.WorkerGrid;
import elattn.testing.TestDevices.TestDevice;

/** Runs a kernel test's task graph once on a test device, as the task tests of each kernel do. */
public final class Plans {
    private Plans() {
    }

    /** Executes {@code graph} once on {@code device} and closes the plan; its transfers to the host are done after. */
    public static void executeOnce(TestDevice device, TaskGraph graph) {
        executeOnce(device, graph, null, null);
    }

    /** As {@link #executeOnce(TestDevice, TaskGraph)}, launching {@code task} ("graph.task") over {@code grid} if not null. */
    public static void executeOnce(TestDevice device, TaskGraph graph, String task, WorkerGrid grid) {
        ExecutionPlan plan = new ExecutionPlan(graph.snapshot()).withDevice(device.get());
        if (grid != null) {
            plan.withGrid(task, grid);
        }
        try (plan) {
            plan.execute();
        }
    }
}
