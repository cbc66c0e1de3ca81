package elattn.backend.opencl;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import elattn.compiler.IndexChecks;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The fault record of a session's checked kernels ({@link IndexChecks}): a small buffer in the
 * session's context, made when the first checked kernel is launched, passed to every checked
 * launch, read after the queue finished and zeroed again when it holds a fault.
 */
final class OpenClFaultRecord {
    private static final long BYTES = IndexChecks.RECORD_INTS * JAVA_INT.byteSize();

    private final OpenCl cl;
    private final MemorySegment context;
    private final MemorySegment queue;
    private final String where;
    private MemorySegment buffer;

    OpenClFaultRecord(OpenCl cl, MemorySegment context, MemorySegment queue, String where) {
        this.cl = cl;
        this.context = context;
        this.queue = queue;
        this.where = where;
    }

    /** The record's {@code cl_mem}, made (zeroed) on first use. */
    MemorySegment buffer() {
        if (buffer == null) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment err = arena.allocate(JAVA_INT);
                MemorySegment made = cl.createBuffer(context, OpenCl.CL_MEM_READ_WRITE, BYTES, err);
                ClErrors.check(err.get(JAVA_INT, 0), "clCreateBuffer (fault record)", where);
                buffer = made;
            }
            zero();
        }
        return buffer;
    }

    /** The record's ints, once the queue has finished; zeroed on the device when it holds a fault. */
    int[] take() {
        int[] record;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(BYTES);
            ClErrors.check(cl.enqueueReadBuffer(queue, buffer(), BYTES, host), "clEnqueueReadBuffer (fault record)",
                    where);
            ClErrors.check(cl.finish(queue), "clFinish", where);
            record = host.toArray(JAVA_INT);
        }
        if (record[IndexChecks.FLAG] != 0) {
            zero();
        }
        return record;
    }

    private void zero() {
        ClErrors.check(cl.enqueueFillZero(queue, buffer, BYTES), "clEnqueueFillBuffer (fault record)", where);
        ClErrors.check(cl.finish(queue), "clFinish", where);
    }

    /** Releases the buffer, if made; returns the OpenCL result (success if there was none). */
    int release() {
        return buffer == null ? ClErrors.CL_SUCCESS : cl.releaseMemObject(buffer);
    }
}
