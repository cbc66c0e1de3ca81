package elattn.runtime;

/** A 1-dimensional {@link WorkerGrid}. */
public final class WorkerGrid1D extends WorkerGrid {
    /** A grid of x work items; set the work-group size with {@link #setLocalWork}. */
    public WorkerGrid1D(long x) {
        super(x);
    }
}
