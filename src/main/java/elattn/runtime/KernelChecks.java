package elattn.runtime;

/**
 * The switch for kernels' index checks (checked mode, docs/runtime.md): system property
 * {@value #PROPERTY} ({@code true} turns them on; off by default, where kernels run as fast as they
 * can). An {@link ExecutionPlan} follows it unless {@link ExecutionPlan#withKernelChecks} says
 * otherwise; so does {@link DeviceSession#compile(Kernel)}. The test suite turns it on (pom.xml),
 * so that every kernel the suite runs on OpenCL or CUDA reports an index out of range by name.
 */
public final class KernelChecks {
    /** The system property: {@code -Delattn.checkKernels=true}. */
    public static final String PROPERTY = "elattn.checkKernels";

    private KernelChecks() {
    }

    /** Whether kernels are built checked unless a plan says otherwise. */
    public static boolean byDefault() {
        return Boolean.getBoolean(PROPERTY);
    }
}
