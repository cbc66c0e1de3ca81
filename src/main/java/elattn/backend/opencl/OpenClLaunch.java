package elattn.backend.opencl;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import elattn.runtime.DeviceSession;
import java.lang.foreign.MemorySegment;

/**
 * One enqueued kernel launch and its profiling event. The session reads the event's start and end
 * times in {@link OpenClSession#finish()} and releases it there, so events never pile up.
 */
final class OpenClLaunch implements DeviceSession.Launch {
    /** A launch over an empty range: nothing is enqueued and it takes no time. */
    static final OpenClLaunch EMPTY = new OpenClLaunch(MemorySegment.NULL);

    private final MemorySegment event;
    private final boolean timed;
    private volatile long elapsedNanos = -1;

    OpenClLaunch(MemorySegment event) {
        this(event, true);
    }

    private OpenClLaunch(MemorySegment event, boolean timed) {
        this.event = event;
        this.timed = timed;
        if (event.equals(MemorySegment.NULL)) {
            elapsedNanos = 0;
        }
    }

    /** A launch enqueued without an event: its time is not known. */
    static OpenClLaunch untimed() {
        return new OpenClLaunch(MemorySegment.NULL, false);
    }

    MemorySegment event() {
        return event;
    }

    /** Reads the device time from the profiling event; the command must be complete. */
    void readTime(OpenCl cl, String where) {
        long start = OpenCl.infoLong((size, value, ret) ->
                cl.getEventProfilingInfo(event, OpenCl.CL_PROFILING_COMMAND_START, size, value, ret),
                "clGetEventProfilingInfo(CL_PROFILING_COMMAND_START)", where);
        long end = OpenCl.infoLong((size, value, ret) ->
                cl.getEventProfilingInfo(event, OpenCl.CL_PROFILING_COMMAND_END, size, value, ret),
                "clGetEventProfilingInfo(CL_PROFILING_COMMAND_END)", where);
        elapsedNanos = end - start;
    }

    @Override
    public long elapsedNanos() {
        if (!timed) {
            throw new IllegalStateException("the kernel was launched without timing");
        }
        long t = elapsedNanos;
        if (t < 0) {
            throw new IllegalStateException("the launch's time is known only after the session's finish()");
        }
        return t;
    }
}
