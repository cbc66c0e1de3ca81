package elattn.runtime;

/** A 2-dimensional {@link WorkerGrid}. */
public final class WorkerGrid2D extends WorkerGrid {
    /** A grid of x by y work items; set the work-group size with {@link #setLocalWork}. */
    public WorkerGrid2D(long x, long y) {
        super(x, y);
    }
}
