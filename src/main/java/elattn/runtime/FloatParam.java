package elattn.runtime;

/**
 * An {@code float} task argument whose value is read at every execute, so a value that changes per
 * step (a temperature, a scale) is updated with {@link #set} instead of rebuilding the
 * task graph. Pass it where the kernel has an {@code float} parameter.
 */
public final class FloatParam {
    private volatile float value;

    public FloatParam(float initial) {
        this.value = initial;
    }

    /** Sets the value the next execute passes to the kernel; returns this. */
    public FloatParam set(float newValue) {
        this.value = newValue;
        return this;
    }

    public float get() {
        return value;
    }

    @Override
    public String toString() {
        return "FloatParam(" + value + ")";
    }
}
