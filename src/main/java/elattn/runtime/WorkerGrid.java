package elattn.runtime;

import java.util.Arrays;

/**
 * The launch grid of a work-group ({@code KernelContext}) task: how many work items run in each
 * dimension (global work) and how many of them form one work-group (local work). Attach it to a
 * task with {@link ExecutionPlan#withGrid}. The object is mutable and read at every execute, so a
 * grid that follows the live batch size is updated with {@link #setGlobalWork} between executes.
 */
public abstract sealed class WorkerGrid permits WorkerGrid1D, WorkerGrid2D, WorkerGrid3D {
    private final int dimensions;
    private volatile long[] global;
    private volatile long[] local;

    WorkerGrid(long... global) {
        this.dimensions = global.length;
        setGlobalWork(global);
    }

    /** Number of dimensions (1 to 3). */
    public final int dimensions() {
        return dimensions;
    }

    /**
     * Sets the number of work items per dimension (x first). Three values may be given for a grid
     * of fewer dimensions if the extra ones are 1, as in TornadoVM's {@code setGlobalWork(x, y, z)}.
     */
    public final WorkerGrid setGlobalWork(long... sizes) {
        this.global = checked("global", sizes);
        return this;
    }

    /** Sets the work-group size per dimension (x first); the same rule for extra 1s applies. */
    public final WorkerGrid setLocalWork(long... sizes) {
        this.local = checked("local", sizes);
        return this;
    }

    /** A copy of the global work sizes, one per dimension. */
    public final long[] getGlobalWork() {
        return global.clone();
    }

    /** A copy of the local work sizes, or null when none was set. */
    public final long[] getLocalWork() {
        long[] l = local;
        return l == null ? null : l.clone();
    }

    private long[] checked(String what, long[] sizes) {
        if (sizes.length < dimensions || sizes.length > 3) {
            throw new IllegalArgumentException(what + " work " + Arrays.toString(sizes) + " does not fit a "
                    + dimensions + "D grid: give " + dimensions + " sizes");
        }
        for (int d = 0; d < sizes.length; d++) {
            if (sizes[d] < 1 || (d >= dimensions && sizes[d] != 1)) {
                throw new IllegalArgumentException(what + " work " + Arrays.toString(sizes) + " is not valid for a "
                        + dimensions + "D grid: sizes must be at least 1, and extra dimensions exactly 1");
            }
        }
        return Arrays.copyOf(sizes, dimensions);
    }

    @Override
    public String toString() {
        long[] l = local;
        return getClass().getSimpleName() + "(global " + Arrays.toString(global)
                + (l == null ? "" : ", local " + Arrays.toString(l)) + ")";
    }
}
