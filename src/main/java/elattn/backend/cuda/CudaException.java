package elattn.backend.cuda;

import elattn.runtime.ElattnRuntimeException;

/**
 * A CUDA driver or NVRTC call failed. The message names the call, the error (its CUDA name and
 * description) and the device, so a log line alone says what went wrong where.
 */
public final class CudaException extends ElattnRuntimeException {
    private final int result;

    CudaException(String call, int result, String errorName, String device) {
        super(call + " failed on " + device + ": " + errorName);
        this.result = result;
    }

    /** The {@code CUresult} (or {@code nvrtcResult}) code. */
    public int result() {
        return result;
    }
}
