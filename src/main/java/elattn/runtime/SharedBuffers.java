package elattn.runtime;

import elattn.kernel.NativeArray;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Arrays kept on one device for several {@link ExecutionPlan}s ({@link ExecutionPlan#withSharedBuffers}):
 * a model's weights, which every plan of the model reads but none should copy again. A plan owns
 * its buffers and frees them when it closes, so without this each new plan (a batch of a new shape)
 * would copy the weights to the device once more; with it they cross the bus once, when the first
 * plan that reads them runs, and stay until this object closes.
 *
 * <p>The buffers live in a session of their own on the device (the plans' sessions share its
 * context), so closing a plan leaves them alone; close the plans first, then this. The arrays are
 * for reading: a kernel that writes one changes it for every plan, and a graph may not transfer one
 * to the device at every execute. Thread-safe; the copies finish before a plan uses a buffer.
 */
public final class SharedBuffers implements AutoCloseable {
    private final Device device;
    private final Set<NativeArray> arrays = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<NativeArray, DeviceBuffer> buffers = new IdentityHashMap<>();
    private DeviceSession session;
    private long allocatedBytes;
    private boolean closed;

    /** Shared buffers on {@code device} (its session opens when the first buffer is needed). */
    public SharedBuffers(Device device) {
        this.device = Objects.requireNonNull(device, "device");
    }

    public Device getDevice() {
        return device;
    }

    /** Shares these arrays (again is no-op): plans that use this object take their buffers from it. */
    public synchronized SharedBuffers add(Iterable<? extends NativeArray> toShare) {
        checkOpen();
        toShare.forEach(a -> arrays.add(Objects.requireNonNull(a, "array")));
        return this;
    }

    /** Whether {@code array} is one of the shared arrays. */
    public synchronized boolean contains(NativeArray array) {
        return arrays.contains(array);
    }

    /** Bytes of device memory the shared buffers hold now (those some plan has used). */
    public synchronized long getAllocatedBytes() {
        return allocatedBytes;
    }

    /**
     * The buffer of a shared array, allocated and filled with the array's contents (the copy
     * finished) the first time a plan asks.
     */
    synchronized DeviceBuffer buffer(NativeArray array) {
        checkOpen();
        if (!arrays.contains(array)) {
            throw new ElattnRuntimeException(array + " is not shared: add it first");
        }
        DeviceBuffer buffer = buffers.get(array);
        if (buffer == null) {
            if (session == null) {
                session = device.open();
            }
            buffer = session.allocate(array);
            session.copyToDevice(array.getSegment(), buffer);
            session.finish();
            buffers.put(array, buffer);
            allocatedBytes += buffer.byteSize();
        }
        return buffer;
    }

    /** Frees the shared buffers; the plans that used them must be closed already. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        buffers.clear();
        allocatedBytes = 0;
        if (session != null) {
            session.close();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new ElattnRuntimeException("these shared buffers on " + device.id() + " are closed");
        }
    }
}
