package elattn.backend.cuda;

import elattn.runtime.ElattnRuntimeException;
import elattn.runtime.LaunchGrid;
import java.util.Arrays;

/**
 * The CUDA grid and block of one launch, x first; unused dimensions are 1.
 *
 * <p>{@code KernelContext} kernels get exactly what the user asked for: block = local size and
 * grid = global / local, which must divide. {@code @Parallel} kernels are grid-stride loops, so any
 * shape covers the range; the block is 256 threads (256, 32x8 or 32x4x2 by dimension count) shrunk
 * to small ranges, and the grid covers the range rounded up, capped at {@link #MAX_GRID_X} blocks
 * in x and {@link #MAX_GRID_YZ} in y and z, beyond which each thread loops.
 */
record LaunchShape(int[] grid, int[] block) {
    /** Blocks in x for a {@code @Parallel} launch: well past what fills any GPU, so the cap is only a bound. */
    static final int MAX_GRID_X = 1 << 18;
    /** The hardware limit on blocks in y and z. */
    static final int MAX_GRID_YZ = 65535;
    private static final int MAX_THREADS_PER_BLOCK = 1024;
    private static final int[] MAX_BLOCK = {1024, 1024, 64};
    private static final int[][] PARALLEL_BLOCK = {{256}, {32, 8}, {32, 4, 2}};
    private static final int PARALLEL_THREADS = 256;

    /** The shape for {@code grid}; {@code kernel} names the kernel in errors. */
    static LaunchShape of(LaunchGrid grid, String kernel) {
        for (long g : grid.global()) {
            if (g < 0) {
                throw new ElattnRuntimeException("kernel " + kernel + ": negative global size in " + grid);
            }
        }
        return grid.local() == null ? forParallel(grid.global()) : forWorkGroups(grid, kernel);
    }

    /** Whether the launch has no work item at all (it is then skipped). */
    boolean isEmpty() {
        return grid[0] * grid[1] * grid[2] == 0;
    }

    private static LaunchShape forParallel(long[] global) {
        int dims = global.length;
        int[] block = {1, 1, 1};
        int[] grid = {1, 1, 1};
        int threads = 1;
        for (int d = 0; d < dims; d++) {
            block[d] = (int) Math.max(1, Math.min(PARALLEL_BLOCK[dims - 1][d], global[d]));
            threads *= block[d];
        }
        // Give the threads a small dimension left unused to the others (e.g. 1 x 5000 -> 1 x 256).
        for (int d = 0; d < dims; d++) {
            while (threads * 2 <= PARALLEL_THREADS && block[d] * 2L <= global[d] && block[d] * 2 <= MAX_BLOCK[d]) {
                block[d] *= 2;
                threads *= 2;
            }
        }
        for (int d = 0; d < dims; d++) {
            long blocks = (global[d] + block[d] - 1) / block[d];
            grid[d] = (int) Math.min(blocks, d == 0 ? MAX_GRID_X : MAX_GRID_YZ);
        }
        return new LaunchShape(grid, block);
    }

    private static LaunchShape forWorkGroups(LaunchGrid launch, String kernel) {
        long[] global = launch.global(), local = launch.local();
        int[] block = {1, 1, 1};
        int[] grid = {1, 1, 1};
        long threads = 1;
        for (int d = 0; d < global.length; d++) {
            if (local[d] < 1 || local[d] > MAX_BLOCK[d]) {
                throw new ElattnRuntimeException("kernel " + kernel + ": local size " + local[d] + " in dimension " + d
                        + " is outside 1.." + MAX_BLOCK[d] + " (" + launch + ")");
            }
            if (global[d] % local[d] != 0) {
                throw new ElattnRuntimeException("kernel " + kernel + ": global size " + global[d] + " in dimension "
                        + d + " is not a multiple of the local size " + local[d] + " (" + launch
                        + "); round the global size up and guard the extra work items in the kernel");
            }
            long blocks = global[d] / local[d];
            long maxBlocks = d == 0 ? Integer.MAX_VALUE : MAX_GRID_YZ;
            if (blocks > maxBlocks) {
                throw new ElattnRuntimeException("kernel " + kernel + ": " + blocks + " work-groups in dimension " + d
                        + " exceed CUDA's limit of " + maxBlocks + " (" + launch + ")");
            }
            block[d] = (int) local[d];
            grid[d] = (int) blocks;
            threads *= local[d];
        }
        if (threads > MAX_THREADS_PER_BLOCK) {
            throw new ElattnRuntimeException("kernel " + kernel + ": a work-group of " + threads
                    + " work items exceeds CUDA's limit of " + MAX_THREADS_PER_BLOCK + " (" + launch + ")");
        }
        return new LaunchShape(grid, block);
    }

    @Override
    public String toString() {
        return "grid " + Arrays.toString(grid) + " block " + Arrays.toString(block);
    }
}
