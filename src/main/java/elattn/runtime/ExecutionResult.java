package elattn.runtime;

import elattn.kernel.NativeArray;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * What one {@link ExecutionPlan#execute()} did: each task's kernel time, the bytes that crossed the
 * bus, and the wall time; and the way to fetch {@link DataTransferMode#UNDER_DEMAND} results.
 */
public final class ExecutionResult {
    private final ExecutionPlan plan;
    private final List<String> graphNames;
    private final Map<String, Long> taskNanos;
    private final int launches;
    private final long bytesToDevice;
    private long bytesToHost;
    private final long wallNanos;
    private final long buildNanos;
    private final long allocatedBytes;

    ExecutionResult(ExecutionPlan plan, List<String> graphNames, Map<String, Long> taskNanos, int launches,
            long bytesToDevice, long bytesToHost, long wallNanos, long buildNanos, long allocatedBytes) {
        this.launches = launches;
        this.plan = plan;
        this.graphNames = List.copyOf(graphNames);
        this.taskNanos = taskNanos == null ? null : Collections.unmodifiableMap(taskNanos);
        this.bytesToDevice = bytesToDevice;
        this.bytesToHost = bytesToHost;
        this.wallNanos = wallNanos;
        this.buildNanos = buildNanos;
        this.allocatedBytes = allocatedBytes;
    }

    /** The graphs this execute ran, in order. */
    public List<String> getGraphNames() {
        return graphNames;
    }

    /**
     * Part of {@link #getWallNanos()} spent building kernels for the device (only the first execute
     * that uses a kernel builds it), in nanoseconds.
     */
    public long getBuildNanos() {
        return buildNanos;
    }

    /**
     * Device memory the plan's buffers held when this execute finished, in bytes: what the plan
     * allocated, not what the driver reserves besides (context, modules). Buffers stay until the
     * plan closes, so within one plan this only grows.
     */
    public long getAllocatedBytes() {
        return allocatedBytes;
    }

    /** Kernels this execute launched (its tasks whose range was not empty), profiled or not. */
    public int getLaunchCount() {
        return launches;
    }

    /** Whether the launches were timed ({@link ExecutionPlan#withProfiler()}), so that kernel times are known. */
    public boolean isProfiled() {
        return taskNanos != null;
    }

    /**
     * Kernel time of each task run by this execute, in nanoseconds, keyed {@code graph.task}, in run
     * order. A task whose range was empty did not launch and shows 0. Only for a
     * {@linkplain #isProfiled() profiled} execute.
     */
    public Map<String, Long> getTaskNanos() {
        return profiledTimes();
    }

    /** Kernel time of one task ({@code graph.task}) in nanoseconds (a {@linkplain #isProfiled() profiled} execute). */
    public long getTaskNanos(String qualifiedTaskName) {
        Long nanos = profiledTimes().get(qualifiedTaskName);
        if (nanos == null) {
            throw new ElattnRuntimeException("no task " + qualifiedTaskName + " ran in this execute; tasks that ran: "
                    + taskNanos.keySet());
        }
        return nanos;
    }

    /** Sum of all tasks' kernel times, in nanoseconds (a {@linkplain #isProfiled() profiled} execute). */
    public long getKernelNanos() {
        return profiledTimes().values().stream().mapToLong(Long::longValue).sum();
    }

    private Map<String, Long> profiledTimes() {
        if (taskNanos == null) {
            throw new ElattnRuntimeException("kernel times are measured only with the profiler on: call"
                    + " withProfiler() on the plan, or run it under ExecutionPlan.observe");
        }
        return taskNanos;
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
        return "ExecutionResult(graphs " + graphNames + ", wall " + wallNanos + " ns, build " + buildNanos
                + " ns, kernels " + getKernelNanos() + " ns, to device " + bytesToDevice + " B, to host " + bytesToHost
                + " B, allocated " + allocatedBytes + " B" + (taskNanos == null ? "" : ", tasks " + taskNanos) + ")";
    }
}
