package elattn.runtime;

/**
 * An {@code int} task argument whose value is read at every execute, so a value that changes per
 * step (the position, the live batch size) is updated with {@link #set} instead of rebuilding the
 * task graph. Pass it where the kernel has an {@code int} parameter.
 */
public final class IntParam {
    private volatile int value;

    public IntParam(int initial) {
        this.value = initial;
    }

    /** Sets the value the next execute passes to the kernel; returns this. */
    public IntParam set(int newValue) {
        this.value = newValue;
        return this;
    }

    public int get() {
        return value;
    }

    @Override
    public String toString() {
        return "IntParam(" + value + ")";
    }
}
