package elattn.model.device;

import elattn.runtime.Device;
import java.util.Locale;

/**
 * Which form of the kernels that have two a {@link DeviceModel} runs, chosen once per model: the
 * loop forms ({@code @Parallel}), right for the JVM and devices with few cores, or the work-group
 * forms ({@code KernelContext}: tiled attention, one work-group per row for layer norm, log-softmax
 * and top-k, and per output for the decode-step linears), right for GPUs. The graphs are the same
 * builders either way; only the kernel of a task and its launch grid differ.
 */
public enum KernelForms {
    /** {@code @Parallel} loop forms: one work item per row, head or output. */
    LOOP,
    /** Work-group forms with local-memory tiles and reductions, for GPUs. */
    GROUP;

    /** System property that forces a form on every device: {@code loop} or {@code group}. */
    public static final String PROPERTY = "elattn.kernelForms";

    /**
     * The forms for {@code device}: {@link #GROUP} on GPUs, {@link #LOOP} elsewhere, unless the system
     * property {@value #PROPERTY} names one (e.g. to run the GPU forms on PoCL in tests).
     */
    public static KernelForms defaultFor(Device device) {
        String forced = System.getProperty(PROPERTY);
        if (forced != null && !forced.isBlank()) {
            try {
                return valueOf(forced.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("-D" + PROPERTY + "=" + forced + " is not a kernel form; use loop or"
                        + " group", e);
            }
        }
        return device.isGpu() ? GROUP : LOOP;
    }
}
