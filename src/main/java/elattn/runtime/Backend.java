package elattn.runtime;

import java.util.List;
import java.util.Optional;

/**
 * A way to run kernels: the JVM itself, OpenCL, or CUDA. Backends are found with
 * {@link java.util.ServiceLoader} (see {@code META-INF/services/elattn.runtime.Backend}), so the
 * runtime does not depend on them. A backend whose native library or driver is missing must not
 * throw: it reports no devices and says why in {@link #unavailableReason()}.
 */
public interface Backend {
    /** Short name used in device ids: {@code jvm}, {@code opencl}, {@code cuda}. */
    String name();

    /** The devices this backend can run on, numbered from 0 in a stable order; empty if none. */
    List<Device> devices();

    /** Why {@link #devices()} is empty (missing library, no driver, no platform); empty otherwise. */
    Optional<String> unavailableReason();
}
