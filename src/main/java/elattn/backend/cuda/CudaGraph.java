package elattn.backend.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * One sequence of kernel launches recorded as a CUDA graph (a chain of kernel nodes) and
 * instantiated once, then launched as one unit: a decode step of a small model is a hundred
 * launches of a few microseconds of GPU time each, and {@code cuGraphLaunch} costs the host about
 * what one {@code cuLaunchKernel} does. Between replays, each node's grid, block and arguments may
 * change (the rows of a step, the step number): a node whose values differ from its last ones is
 * updated in place with {@code cuGraphExecKernelNodeSetParams}, the others are left alone.
 */
final class CudaGraph {
    /** Bytes of {@code CUDA_KERNEL_NODE_PARAMS_v2}: func, grid xyz, block xyz, shared bytes, params, extra, kern, ctx. */
    private static final long NODE_PARAMS_BYTES = 72;

    private final CudaDriver cu;
    private final String where;
    private final MemorySegment graph;
    private final MemorySegment[] nodes;
    /** Per node: grid and block sizes and the argument values it was last given. */
    private final int[][] shapes;
    private final byte[][] values;
    private final MemorySegment nodeParams = Arena.ofAuto().allocate(NODE_PARAMS_BYTES, 8);
    private MemorySegment exec = MemorySegment.NULL;

    CudaGraph(CudaDriver cu, int launches, String where) {
        this.cu = cu;
        this.where = where;
        this.graph = cu.graphCreate(where);
        this.nodes = new MemorySegment[launches];
        this.shapes = new int[launches][];
        this.values = new byte[launches][];
    }

    int size() {
        return nodes.length;
    }

    /**
     * Node {@code i}'s launch: added to the graph before {@link #instantiate}, after it updated in
     * the instantiated graph if its shape or arguments changed.
     */
    void set(int i, MemorySegment function, LaunchShape shape, int sharedBytes, LaunchArgumentBlock arguments) {
        int[] newShape = {shape.grid()[0], shape.grid()[1], shape.grid()[2], shape.block()[0], shape.block()[1],
                shape.block()[2], sharedBytes};
        MemorySegment newValues = arguments.values();
        boolean recorded = !exec.equals(MemorySegment.NULL);
        if (recorded && Arrays.equals(newShape, shapes[i])
                && newValues.mismatch(MemorySegment.ofArray(values[i])) == -1) {
            return;
        }
        nodeParams.fill((byte) 0);
        nodeParams.set(ADDRESS, 0, function);
        for (int d = 0; d < 7; d++) {
            nodeParams.set(JAVA_INT, 8 + 4L * d, newShape[d]);
        }
        nodeParams.set(ADDRESS, 40, arguments.pointers());
        if (recorded) {
            cu.graphExecKernelNodeSetParams(exec, nodes[i], nodeParams, where);
        } else {
            nodes[i] = cu.graphAddKernelNode(graph, i == 0 ? MemorySegment.NULL : nodes[i - 1], nodeParams, where);
        }
        shapes[i] = newShape;
        values[i] = newValues.toArray(JAVA_BYTE);
    }

    /** Makes the recorded nodes launchable; once, after every node was {@link #set}. */
    void instantiate() {
        exec = cu.graphInstantiate(graph, where);
    }

    void launch(MemorySegment stream) {
        cu.graphLaunch(exec, stream, where);
    }

    /** Destroys the instantiated graph and the graph (the stream must have finished with them). */
    void destroy() {
        if (!exec.equals(MemorySegment.NULL)) {
            cu.graphExecDestroy(exec, where);
        }
        cu.graphDestroy(graph, where);
    }
}
