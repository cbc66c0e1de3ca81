package elattn.backend.cuda;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import elattn.compiler.IndexChecks;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The fault record of a session's checked kernels ({@link IndexChecks}): a few bytes of device
 * memory, allocated when the first checked kernel is launched, passed to every checked launch,
 * read after the stream finished and zeroed again (in stream order) when it holds a fault.
 */
final class CudaFaultRecord {
    private static final long BYTES = IndexChecks.RECORD_INTS * JAVA_INT.byteSize();

    private final CudaDriver cu;
    private final MemorySegment stream;
    private final String where;
    private long address;

    CudaFaultRecord(CudaDriver cu, MemorySegment stream, String where) {
        this.cu = cu;
        this.stream = stream;
        this.where = where;
    }

    /** The record's device address, allocated (zeroed) on first use. */
    long address() {
        if (address == 0) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment out = a.allocate(JAVA_LONG);
                cu.check("cuMemAlloc (fault record)", cu.memAlloc(out, BYTES), where);
                address = out.get(JAVA_LONG, 0);
            }
            cu.memsetD8Async(address, (byte) 0, BYTES, stream, where);
        }
        return address;
    }

    /** The record's ints, once the stream has finished; zeroed on the device when it holds a fault. */
    int[] take() {
        int[] record;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment host = a.allocate(BYTES);
            cu.memcpyDtoHAsync(host, address(), BYTES, stream, where);
            cu.check("cuStreamSynchronize", cu.streamSynchronize(stream), where);
            record = host.toArray(JAVA_INT);
        }
        if (record[IndexChecks.FLAG] != 0) {
            cu.memsetD8Async(address, (byte) 0, BYTES, stream, where);
        }
        return record;
    }

    /** Frees the record, if allocated. */
    void free() {
        if (address != 0) {
            cu.memFree(address, where);
        }
    }
}
