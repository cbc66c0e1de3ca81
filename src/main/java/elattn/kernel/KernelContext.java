package elattn.kernel;

/**
 * Work-group style kernels take a {@code KernelContext} as their first parameter: it gives the
 * work item's ids, the sizes of the launch, barriers and local (work-group shared) memory, as
 * OpenCL and CUDA do. The launch grid is given per task ({@code ExecutionPlan.withGrid}).
 *
 * <pre>{@code
 * public static void sum(KernelContext ctx, FloatArray in, FloatArray out) {
 *     float[] part = ctx.allocateFloatLocalArray(256);   // shared by the work-group
 *     int l = ctx.localIdx;
 *     part[l] = in.get(ctx.globalIdx);
 *     for (int s = ctx.localGroupSizeX / 2; s > 0; s /= 2) {
 *         ctx.localBarrier();
 *         if (l < s) part[l] += part[l + s];
 *     }
 *     if (l == 0) out.set(ctx.groupIdx, part[0]);
 * }
 * }</pre>
 *
 * <p>When building a task graph pass {@code new KernelContext()}; the runtime gives each work item
 * its own context. Local array sizes must be compile-time constants.
 */
public final class KernelContext {
    /** Id of this work item in the whole launch, per dimension. */
    public final int globalIdx, globalIdy, globalIdz;
    /** Id of this work item within its work-group. */
    public final int localIdx, localIdy, localIdz;
    /** Id of the work-group. */
    public final int groupIdx, groupIdy, groupIdz;
    /** Number of work items in the whole launch, per dimension. */
    public final int globalGroupSizeX, globalGroupSizeY, globalGroupSizeZ;
    /** Number of work items in one work-group, per dimension. */
    public final int localGroupSizeX, localGroupSizeY, localGroupSizeZ;

    private final WorkGroup group;
    private int localArraysAllocated;

    /** The placeholder passed when a task is declared; the runtime supplies the real contexts. */
    public KernelContext() {
        this(new int[3], new int[3], new int[] {1, 1, 1}, new int[] {1, 1, 1}, null);
    }

    /**
     * A context for one work item, made by a backend that runs kernels as Java (the JVM backend).
     * Arrays are x, y, z; {@code group} provides the barrier and local memory of the work-group.
     */
    public KernelContext(int[] globalId, int[] localId, int[] globalSize, int[] localSize, WorkGroup group) {
        globalIdx = globalId[0];
        globalIdy = globalId[1];
        globalIdz = globalId[2];
        localIdx = localId[0];
        localIdy = localId[1];
        localIdz = localId[2];
        localGroupSizeX = localSize[0];
        localGroupSizeY = localSize[1];
        localGroupSizeZ = localSize[2];
        groupIdx = globalIdx / localGroupSizeX;
        groupIdy = globalIdy / localGroupSizeY;
        groupIdz = globalIdz / localGroupSizeZ;
        globalGroupSizeX = globalSize[0];
        globalGroupSizeY = globalSize[1];
        globalGroupSizeZ = globalSize[2];
        this.group = group;
    }

    /**
     * Waits until every work item of the work-group has reached this barrier; local memory
     * written before it is visible to the whole group after it. Every work item of the group must
     * reach the same barriers (do not call it under a condition that differs between items).
     */
    public void localBarrier() {
        requireGroup().barrier();
    }

    /** A float array in local memory, one per work-group; {@code size} must be a constant. */
    public float[] allocateFloatLocalArray(int size) {
        return requireGroup().floatArray(localArraysAllocated++, size);
    }

    /** An int array in local memory, one per work-group; {@code size} must be a constant. */
    public int[] allocateIntLocalArray(int size) {
        return requireGroup().intArray(localArraysAllocated++, size);
    }

    private WorkGroup requireGroup() {
        if (group == null) {
            throw new IllegalStateException("this KernelContext is the placeholder given when a task is declared;"
                    + " run the kernel through a TaskGraph so each work item gets its own context");
        }
        return group;
    }

    /**
     * What the work items of one work-group share when a kernel runs as Java: the barrier and the
     * local arrays, identified by their allocation order ({@code slot}) within the kernel.
     */
    public interface WorkGroup {
        void barrier();

        float[] floatArray(int slot, int size);

        int[] intArray(int slot, int size);
    }
}
