package elattn.backend.jvm;

import elattn.runtime.Backend;
import elattn.runtime.Device;
import java.util.List;
import java.util.Optional;

/**
 * The backend that runs kernels as Java on this JVM's threads: always available, so every program
 * runs without a GPU, and the reference the GPU backends are tested against. Its one device,
 * {@code jvm}, keeps its own off-heap copies of the arrays ("device memory"), so transfer modes
 * behave exactly as on a GPU.
 */
public final class JvmBackend implements Backend {
    private final List<Device> devices = List.of(new JvmDevice());

    @Override
    public String name() {
        return JvmDevice.ID;
    }

    @Override
    public List<Device> devices() {
        return devices;
    }

    @Override
    public Optional<String> unavailableReason() {
        return Optional.empty();
    }
}
