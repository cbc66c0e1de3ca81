package elattn.bench;

import elattn.runtime.ExecutionResult;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the plan executes of one phase of a generation (prefill, decode steps) add up to, as the
 * device reports them ({@link ExecutionResult}); {@link #toPhase} turns the sums into a
 * {@link Report.Phase} once the phase's wall time and step count are known.
 */
final class PhaseTotals {
    int executes;
    long executeNanos;
    long kernelNanos;
    long buildNanos;
    /** Kernels launched: tasks whose range was not empty. */
    long launches;
    final Map<String, Long> taskNanos = new LinkedHashMap<>();

    void add(ExecutionResult r) {
        executes++;
        executeNanos += r.getWallNanos();
        buildNanos += r.getBuildNanos();
        launches += r.getLaunchCount();
        if (r.isProfiled()) {
            kernelNanos += r.getKernelNanos();
            r.getTaskNanos().forEach((task, nanos) -> taskNanos.merge(task, nanos, Long::sum));
        }
    }

    /** The totals as a report's phase of {@code steps} steps that took {@code wallNanos}; tasks in run order. */
    Report.Phase toPhase(int steps, long wallNanos) {
        return new Report.Phase(steps, wallNanos / 1e9, kernelNanos / 1e9, executeNanos / 1e9, buildNanos / 1e9,
                launches, Collections.unmodifiableMap(new LinkedHashMap<>(taskNanos)));
    }
}
