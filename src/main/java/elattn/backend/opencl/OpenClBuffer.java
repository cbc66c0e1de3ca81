package elattn.backend.opencl;

import elattn.kernel.NativeArray;
import elattn.runtime.ArrayBuffer;
import java.lang.foreign.MemorySegment;

/**
 * A {@code cl_mem} holding one array's elements. It remembers its array type so that a launch can
 * check it against the kernel's parameter, and its session so that it is not used in another one.
 * Freed when its session closes.
 */
final class OpenClBuffer extends ArrayBuffer {
    private final MemorySegment handle;

    OpenClBuffer(OpenClSession session, MemorySegment handle, Class<? extends NativeArray> arrayType, int length,
            long byteSize) {
        super(session, arrayType, length, byteSize);
        this.handle = handle;
    }

    MemorySegment handle() {
        return handle;
    }
}
