package elattn.runtime;

import java.util.Arrays;

/**
 * The shape of one launch: global sizes per dimension (x first) and, for work-group kernels, local
 * (work-group) sizes. For {@code @Parallel} kernels {@code global} is the iteration count of each
 * parallel loop (innermost loop first) and {@code local} is null: the backend picks a work-group
 * size and may round the global size up or cap it, since the generated loops stride over the range.
 * For {@code KernelContext} kernels both are exactly what the user's {@link WorkerGrid} says.
 */
public record LaunchGrid(long[] global, long[] local) {
    public LaunchGrid {
        if (global.length < 1 || global.length > 3) {
            throw new IllegalArgumentException("a launch has 1 to 3 dimensions, not " + global.length);
        }
        if (local != null && local.length != global.length) {
            throw new IllegalArgumentException("local sizes " + Arrays.toString(local)
                    + " do not match global sizes " + Arrays.toString(global));
        }
    }

    public int dimensions() {
        return global.length;
    }

    /** Total number of work items (before any rounding by the backend). */
    public long totalItems() {
        long n = 1;
        for (long g : global) {
            n *= g;
        }
        return n;
    }

    @Override
    public String toString() {
        return "global " + Arrays.toString(global) + (local == null ? "" : " local " + Arrays.toString(local));
    }
}
