package elattn.backend.opencl;

import static org.junit.jupiter.api.Assertions.fail;

import elattn.runtime.Device;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * The OpenCL device the tests run on. Without one the tests are skipped, except on CI
 * ({@code CI=true}), where PoCL is installed and a missing device is a failure.
 */
final class OpenClTestDevices {
    private static final OpenClBackend BACKEND = new OpenClBackend();

    private OpenClTestDevices() {
    }

    static List<Device> all() {
        List<Device> devices = BACKEND.devices();
        if (devices.isEmpty()) {
            String reason = BACKEND.unavailableReason().orElse("no reason given");
            if ("true".equals(System.getenv("CI"))) {
                fail("CI needs an OpenCL device (PoCL), but " + reason);
            }
            Assumptions.abort("no OpenCL device: " + reason);
        }
        return devices;
    }

    /** The first GPU, else the first device (on CI: PoCL's CPU device). */
    static OpenClDevice testDevice() {
        return pick(all());
    }

    /** {@link #testDevice()} as a new backend finds it: another object, nothing built on it yet. */
    static OpenClDevice rediscovered() {
        all();
        return pick(new OpenClBackend().devices());
    }

    private static OpenClDevice pick(List<Device> devices) {
        return (OpenClDevice) devices.stream().filter(Device::isGpu).findFirst().orElse(devices.getFirst());
    }

    static OpenClSession open() {
        return (OpenClSession) testDevice().open();
    }
}
