package elattn.runtime;

import elattn.kernel.NativeArray;
import java.util.Collections;
import java.util.Map;

/**
 * What one {@link ExecutionPlan#execute()} did: each task's kernel time, the bytes that crossed the
 * bus, and the wall time; and the way to fetch {@link DataTransferMode#UNDER_DEMAND} results.
 */
public final class ExecutionResult {
    private final ExecutionPlan plan;
    private final Map<String, Long> taskNanos;
    private final long bytesToDevice;
    private long bytesToHost;
    private final long wallNanos;

    ExecutionResult(ExecutionPlan plan, Map<String, Long> taskNanos, long bytesToDevice, long bytesToHost,
            long wallNanos) {
        this.plan = plan;
        this.taskNanos = Collections.unmodifiableMap(taskNanos);
        this.bytesToDevice = bytesToDevice;
        this.bytesToHost = bytesToHost;
        this.wallNanos = wallNanos;
    }

    /**
     * Kernel time of each task run by this execute, in nanoseconds, keyed {@code graph.task}, in run
     * order. A task whose range was empty did not launch and shows 0.
     */
    public Map<String, Long> getTaskNanos() {
        return taskNanos;
    }

    /** Kernel time of one task ({@code graph.task}) in nanoseconds. */
    public long getTaskNanos(String qualifiedTaskName) {
        Long nanos = taskNanos.get(qualifiedTaskName);
        if (nanos == null) {
            throw new ElattnRuntimeException("no task " + qualifiedTaskName + " ran in this execute; tasks that ran: "
                    + taskNanos.keySet());
        }
        return nanos;
    }

    /** Sum of all tasks' kernel times, in nanoseconds. */
    public long getKernelNanos() {
        return taskNanos.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Bytes copied from the host to the device by this execute. */
    public long getBytesToDevice() {
        return bytesToDevice;
    }

    /** Bytes copied from the device to the host by this execute and by {@link #transferToHost} on this result. */
    public long getBytesToHost() {
        return bytesToHost;
    }

    /** Wall time of the execute, from its start until the device finished, in nanoseconds. */
    public long getWallNanos() {
        return wallNanos;
    }

    /**
     * Copies the arrays' current device contents to the host now and waits for it: how
     * {@link DataTransferMode#UNDER_DEMAND} results are read. Works for any array the plan holds on
     * the device, as long as the plan is open.
     */
    public ExecutionResult transferToHost(NativeArray... arrays) {
        bytesToHost += plan.copyToHost(arrays);
        return this;
    }

    @Override
    public String toString() {
        return "ExecutionResult(wall " + wallNanos + " ns, kernels " + getKernelNanos() + " ns, to device "
                + bytesToDevice + " B, to host " + bytesToHost + " B, tasks " + taskNanos + ")";
    }
}
