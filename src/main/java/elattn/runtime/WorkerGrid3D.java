package elattn.runtime;

/** A 3-dimensional {@link WorkerGrid}. */
public final class WorkerGrid3D extends WorkerGrid {
    /** A grid of x by y by z work items; set the work-group size with {@link #setLocalWork}. */
    public WorkerGrid3D(long x, long y, long z) {
        super(x, y, z);
    }
}
