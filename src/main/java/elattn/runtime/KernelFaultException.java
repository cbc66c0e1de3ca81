package elattn.runtime;

/**
 * A kernel indexed an array out of range. Devices report it for kernels built with index checks
 * ({@link KernelChecks}); the jvm backend, which runs the kernels' Java, for every kernel. The
 * message names the kernel, the array, the index, the array's length and the Java source line of
 * the access; an {@link ExecutionPlan} puts the graph, task and device in front. On a device the
 * access was made at index 0 instead, so the kernel ran to its end and the session stays usable,
 * but what the plan's arrays hold afterwards is not to be trusted.
 */
public class KernelFaultException extends ElattnRuntimeException {
    private final String kernel;
    private final String array;
    private final int index;
    private final int length;
    private final String file;
    private final int line;
    /** The device launch that faulted, for the plan to find its task; null where the fault was thrown at the launch. */
    private final transient DeviceSession.Launch launch;

    /**
     * A fault of {@code kernel} ({@code Class.method}) on {@code array} (a Java name; an array of a
     * device function as {@code function.name}) at {@code file:line} (line 0: not known).
     */
    public KernelFaultException(String kernel, String array, int index, int length, String file, int line) {
        this(kernel, array, index, length, file, line, null);
    }

    KernelFaultException(String kernel, String array, int index, int length, String file, int line,
            DeviceSession.Launch launch) {
        super("index " + index + " is out of range for " + describe(array) + " of length " + length + " in kernel "
                + kernel + (line > 0 ? " at " + file + ":" + line : "") + ": the kernel or the sizes it was"
                + " launched with are wrong");
        this.kernel = kernel;
        this.array = array;
        this.index = index;
        this.length = length;
        this.file = file;
        this.line = line;
        this.launch = launch;
    }

    /** The same fault with where it happened (graph, task, device) in front of the message. */
    public KernelFaultException(String context, KernelFaultException cause) {
        super(context + ": " + cause.getMessage(), cause);
        this.kernel = cause.kernel;
        this.array = cause.array;
        this.index = cause.index;
        this.length = cause.length;
        this.file = cause.file;
        this.line = cause.line;
        this.launch = cause.launch;
    }

    private static String describe(String array) {
        int dot = array.indexOf('.');
        return dot < 0 ? "array " + array
                : "array " + array.substring(dot + 1) + " of device function " + array.substring(0, dot);
    }

    /** The kernel, {@code SimpleClassName.method}. */
    public String kernel() {
        return kernel;
    }

    /** The array's Java name; {@code function.name} for an array of a device function. */
    public String array() {
        return array;
    }

    /** The index out of range. */
    public int index() {
        return index;
    }

    /** The array's length. */
    public int length() {
        return length;
    }

    /** The Java source file of the access. */
    public String file() {
        return file;
    }

    /** The Java source line of the access; 0 if not known. */
    public int line() {
        return line;
    }

    DeviceSession.Launch launch() {
        return launch;
    }
}
