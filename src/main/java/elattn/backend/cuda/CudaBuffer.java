package elattn.backend.cuda;

import elattn.kernel.NativeArray;
import elattn.runtime.ArrayBuffer;

/**
 * Device memory from {@code cuMemAlloc} holding the elements of one kind of {@link NativeArray}.
 * A zero-length array gets no memory (address 0), since CUDA does not allocate zero bytes.
 */
final class CudaBuffer extends ArrayBuffer {
    private final long address;

    CudaBuffer(CudaSession session, long address, long byteSize, int length, Class<? extends NativeArray> elementType) {
        super(session, elementType, length, byteSize);
        this.address = address;
    }

    /** The {@code CUdeviceptr}. */
    long address() {
        return address;
    }
}
