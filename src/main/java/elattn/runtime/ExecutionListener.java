package elattn.runtime;

/**
 * Receives the {@link ExecutionResult} of every {@link ExecutionPlan} execute inside
 * {@link ExecutionPlan#observe}, on the thread that executed, right after the device finished:
 * for benchmarks and profilers that measure code owning its plans privately.
 */
@FunctionalInterface
public interface ExecutionListener {
    void executed(ExecutionResult result);

    /**
     * Whether the plans it observes time each launch ({@link ExecutionPlan#withProfiler()}, unless a
     * plan says otherwise): yes by default, for per-task kernel times; a listener that measures what
     * an unobserved run costs (wall time, launches) says no, and the plans then run as they do
     * unobserved (no events, CUDA graphs replayed).
     */
    default boolean timesKernels() {
        return true;
    }
}
