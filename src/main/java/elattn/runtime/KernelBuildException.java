package elattn.runtime;

/** A kernel's generated source did not build on a device; the message holds the device compiler's log. */
public class KernelBuildException extends ElattnRuntimeException {
    private final String buildLog;

    public KernelBuildException(String kernel, String device, String buildLog) {
        super("kernel " + kernel + " failed to build on " + device + ":\n" + buildLog
                + "\n(run with -Delattn.dumpKernels=DIR to see the generated source)");
        this.buildLog = buildLog;
    }

    /** The same failure with where it happened (graph, task) in front of the message. */
    public KernelBuildException(String context, KernelBuildException cause) {
        super(context + ": " + cause.getMessage(), cause);
        this.buildLog = cause.buildLog;
    }

    /** The device compiler's output. */
    public String buildLog() {
        return buildLog;
    }
}
