package elattn.runtime;

/**
 * Receives the {@link ExecutionResult} of every {@link ExecutionPlan} execute inside
 * {@link ExecutionPlan#observe}, on the thread that executed, right after the device finished:
 * for benchmarks and profilers that measure code owning its plans privately.
 */
@FunctionalInterface
public interface ExecutionListener {
    void executed(ExecutionResult result);
}
