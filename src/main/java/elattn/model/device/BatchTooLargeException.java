package elattn.model.device;

/**
 * A batch whose device arrays would have more elements than a 32-bit index reaches: the same batch
 * split into fewer sentences fits. Raised before anything is allocated, so a caller can split the
 * batch and go on (as it would after running out of device memory).
 */
public class BatchTooLargeException extends IllegalArgumentException {
    public BatchTooLargeException(String message) {
        super(message);
    }
}
