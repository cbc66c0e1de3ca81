package elattn.runtime;

/** The device has no room for a buffer; the message names the device, the size and what to do. */
public class DeviceOutOfMemoryException extends ElattnRuntimeException {
    public DeviceOutOfMemoryException(String device, long requestedBytes, String detail) {
        super("out of memory on " + device + ": could not allocate " + requestedBytes + " bytes (" + detail
                + "); use a smaller batch, fp16 storage, or a device with more memory");
    }

    /** The same failure with where it happened (graph, task) in front of the message. */
    public DeviceOutOfMemoryException(String context, DeviceOutOfMemoryException cause) {
        super(context + ": " + cause.getMessage(), cause);
    }
}
