package elattn.backend.cuda;

import elattn.kernel.NativeArray;
import elattn.runtime.DeviceBuffer;

/**
 * Device memory from {@code cuMemAlloc} holding the elements of one kind of {@link NativeArray}.
 * A zero-length array gets no memory (address 0), since CUDA does not allocate zero bytes.
 */
final class CudaBuffer implements DeviceBuffer {
    private final CudaSession session;
    private final long address;
    private final long byteSize;
    private final int length;
    private final Class<? extends NativeArray> elementType;

    CudaBuffer(CudaSession session, long address, long byteSize, int length, Class<? extends NativeArray> elementType) {
        this.session = session;
        this.address = address;
        this.byteSize = byteSize;
        this.length = length;
        this.elementType = elementType;
    }

    @Override
    public long byteSize() {
        return byteSize;
    }

    @Override
    public int length() {
        return length;
    }

    /** The {@code CUdeviceptr}. */
    long address() {
        return address;
    }

    /** The array class whose elements the buffer holds, checked against kernel parameters. */
    Class<? extends NativeArray> elementType() {
        return elementType;
    }

    CudaSession session() {
        return session;
    }

    @Override
    public String toString() {
        return elementType.getSimpleName() + "[" + length + "] on " + session.device().id();
    }
}
