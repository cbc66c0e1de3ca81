package elattn.runtime;

/**
 * An {@code long} task argument whose value is read at every execute, so a value that changes per
 * step (the position, the live batch size) is updated with {@link #set} instead of rebuilding the
 * task graph. Pass it where the kernel has an {@code long} parameter.
 */
public final class LongParam {
    private volatile long value;

    public LongParam(long initial) {
        this.value = initial;
    }

    /** Sets the value the next execute passes to the kernel; returns this. */
    public LongParam set(long newValue) {
        this.value = newValue;
        return this;
    }

    public long get() {
        return value;
    }

    @Override
    public String toString() {
        return "LongParam(" + value + ")";
    }
}
