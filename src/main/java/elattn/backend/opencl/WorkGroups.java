package elattn.backend.opencl;

import elattn.runtime.ElattnRuntimeException;
import java.util.Arrays;

/**
 * Chooses the NDRange of a launch. {@code @Parallel} kernels are compiled to grid-stride loops, so
 * any global size is correct for them: a default work-group shape is shrunk to fit small ranges and
 * the kernel's limits, the global size is rounded up to a multiple of it (OpenCL 1.2 requires that)
 * and capped, so that a huge range costs a few loop trips per work item instead of an oversized
 * launch. {@code KernelContext} kernels get exactly the sizes the user gave.
 */
final class WorkGroups {
    /** Above this many work items, the launch is capped; enough to fill the largest GPUs many times over. */
    static final long MAX_ITEMS = 1L << 24;

    private static final long[][] DEFAULT_LOCAL = {{256}, {16, 16}, {8, 8, 4}};

    /** Global and local sizes for {@code clEnqueueNDRangeKernel}; {@code local} null lets the driver choose. */
    record NdRange(long[] global, long[] local) {
        @Override
        public String toString() {
            return "global " + Arrays.toString(global) + " local " + (local == null ? "driver's choice" : Arrays.toString(local));
        }
    }

    private WorkGroups() {
    }

    /**
     * The range for a {@code @Parallel} kernel with these iteration counts (dimension 0 first, none
     * zero), given the kernel's {@code CL_KERNEL_WORK_GROUP_SIZE} and the device's
     * {@code CL_DEVICE_MAX_WORK_ITEM_SIZES}.
     */
    static NdRange forParallel(long[] iterations, long kernelMaxGroupSize, long[] maxItemSizes) {
        int dims = iterations.length;
        long[] local = DEFAULT_LOCAL[dims - 1].clone();
        for (int d = 0; d < dims; d++) {
            local[d] = Math.min(Math.min(local[d], ceilPowerOfTwo(iterations[d])), maxItemSizes[d]);
        }
        while (product(local) > kernelMaxGroupSize) {
            int largest = indexOfMax(local);
            local[largest] = Math.max(1, local[largest] / 2);
        }
        long[] global = new long[dims];
        for (int d = 0; d < dims; d++) {
            global[d] = roundUp(iterations[d], local[d]);
        }
        while (product(global) > MAX_ITEMS) {
            // Halve the dimension with the most work-groups; it has at least two, since the
            // work-group itself is far below MAX_ITEMS.
            int d = 0;
            for (int i = 1; i < dims; i++) {
                if (global[i] / local[i] > global[d] / local[d]) {
                    d = i;
                }
            }
            global[d] = roundUp((global[d] + 1) / 2, local[d]);
        }
        return new NdRange(global, local);
    }

    /**
     * The range for a {@code KernelContext} kernel: exactly {@code global} and {@code local} (local
     * may be null). Rejects, with a message naming the kernel, shapes OpenCL would refuse.
     */
    static NdRange exact(String kernel, long[] global, long[] local, long kernelMaxGroupSize) {
        if (local != null) {
            for (int d = 0; d < global.length; d++) {
                if (local[d] <= 0 || global[d] % local[d] != 0) {
                    throw new ElattnRuntimeException("kernel " + kernel + ": global size " + Arrays.toString(global)
                            + " is not a multiple of the local size " + Arrays.toString(local)
                            + " in dimension " + d + "; round the global size up in the kernel's WorkerGrid");
                }
            }
            if (product(local) > kernelMaxGroupSize) {
                throw new ElattnRuntimeException("kernel " + kernel + ": work-group " + Arrays.toString(local) + " has "
                        + product(local) + " work items but this device runs at most " + kernelMaxGroupSize
                        + " for this kernel; use a smaller local size");
            }
        }
        return new NdRange(global.clone(), local == null ? null : local.clone());
    }

    private static long ceilPowerOfTwo(long n) {
        return n <= 1 ? 1 : Long.highestOneBit(n - 1) << 1;
    }

    private static long roundUp(long n, long multiple) {
        return (n + multiple - 1) / multiple * multiple;
    }

    private static long product(long[] sizes) {
        long p = 1;
        for (long s : sizes) {
            p *= s;
        }
        return p;
    }

    private static int indexOfMax(long[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }
}
