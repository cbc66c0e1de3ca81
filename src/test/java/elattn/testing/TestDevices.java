package elattn.testing;

import elattn.runtime.Device;
import elattn.runtime.Devices;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The devices backend-parameterized tests run on, for {@code @ParameterizedTest
 * @MethodSource("elattn.testing.TestDevices#devices")}. System property {@code elattn.test.devices}
 * lists them, comma-separated: device ids ({@code opencl:1}) or backend names ({@code opencl} = every
 * OpenCL device); default {@code jvm,opencl}. A requested backend or device that is not there
 * yields one entry whose {@link TestDevice#get()} skips the test (JUnit assumption), except in CI
 * (environment {@code CI=true}), where it fails it: CI must not pass by running nothing.
 */
public final class TestDevices {
    /** The system property listing the devices to test. */
    public static final String PROPERTY = "elattn.test.devices";
    private static final String DEFAULT = "jvm,opencl";

    private TestDevices() {
    }

    /** One device to test, or the reason a requested one is missing. */
    public record TestDevice(String label, Device device, String missingReason) {
        /** The device; skips the test (or fails it in CI) when it is missing. */
        public Device get() {
            if (device == null) {
                String message = label + " was requested by -D" + PROPERTY + " but is not available: " + missingReason;
                if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                    Assertions.fail(message + " (CI=true: a requested device must be present)");
                }
                Assumptions.abort(message);
            }
            return device;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    /** The requested devices, in the order requested. */
    public static Stream<TestDevice> devices() {
        String spec = System.getProperty(PROPERTY, DEFAULT);
        List<TestDevice> out = new ArrayList<>();
        for (String entry : Arrays.stream(spec.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList()) {
            if (entry.contains(":")) {
                out.add(byId(entry));
            } else {
                List<Device> devices = Devices.ofBackend(entry);
                if (devices.isEmpty()) {
                    out.add(new TestDevice(entry, null, Devices.unavailableReason(entry).orElse("no devices")));
                }
                devices.forEach(d -> out.add(new TestDevice(d.id() + " " + d.name(), d, null)));
            }
        }
        return out.stream();
    }

    /**
     * The requested devices that run tensor-core kernels ({@link Device#hasTensorCores}): the JVM and
     * CUDA devices of compute capability 8.0+; a requested jvm or cuda device that is missing stays
     * in (skipped, or failed in CI, as above).
     */
    public static Stream<TestDevice> tensorCoreDevices() {
        return devices().filter(TestDevices::hasTensorCores);
    }

    /** Whether {@code d} runs tensor-core kernels (a missing device: whether its backend can). */
    public static boolean hasTensorCores(TestDevice d) {
        return d.device() != null ? d.device().hasTensorCores()
                : d.label().startsWith("jvm") || d.label().startsWith("cuda");
    }

    private static TestDevice byId(String id) {
        return Devices.all().stream().filter(d -> d.id().equals(id)).findFirst()
                .map(d -> new TestDevice(d.id() + " " + d.name(), d, null))
                .orElseGet(() -> {
                    String backend = id.contains(":") ? id.substring(0, id.indexOf(':')) : id;
                    return new TestDevice(id, null, Devices.unavailableReason(backend)
                            .orElse("the " + backend + " backend has no device " + id));
                });
    }
}
