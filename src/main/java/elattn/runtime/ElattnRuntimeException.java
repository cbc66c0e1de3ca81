package elattn.runtime;

/** Base of the runtime's errors: each message says what failed, where, and what to do about it. */
public class ElattnRuntimeException extends RuntimeException {
    public ElattnRuntimeException(String message) {
        super(message);
    }

    public ElattnRuntimeException(String message, Throwable cause) {
        super(message, cause);
    }
}
