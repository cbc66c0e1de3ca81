package elattn.backend.cuda;

import elattn.runtime.Backend;
import elattn.runtime.Device;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * NVIDIA GPUs through the CUDA driver API ({@code libcuda.so.1}) and NVRTC, called with Java's
 * FFM: kernels' generated CUDA C is compiled at run time (to a CUBIN for the device, cached on disk:
 * {@link CudaModules}) and loaded as a module, so no CUDA toolkit is needed at build time and no JNI
 * library ships with elattn.
 *
 * <p>Devices are {@code cuda:0..N-1} in the driver's order. When the driver or NVRTC is missing or
 * {@code cuInit} fails, the backend lists no devices and {@link #unavailableReason()} says why. The
 * libraries can be named with {@code -Delattn.cuda.library=...} and {@code -Delattn.nvrtc.library=...}
 * (a file name searched on the loader's path, or an absolute path).
 */
public final class CudaBackend implements Backend {
    private static final Logger LOG = LoggerFactory.getLogger(CudaBackend.class);

    private List<Device> devices;
    private String unavailableReason;

    /** Used by {@link java.util.ServiceLoader}; touches no native library until devices are asked for. */
    public CudaBackend() {
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public synchronized List<Device> devices() {
        if (devices == null) {
            discover();
        }
        return devices;
    }

    @Override
    public synchronized Optional<String> unavailableReason() {
        devices();
        return Optional.ofNullable(unavailableReason);
    }

    private void discover() {
        devices = List.of();
        CudaDriver driver;
        Nvrtc nvrtc;
        try {
            driver = CudaDriver.load();
            nvrtc = Nvrtc.load();
        } catch (NativeLibrary.LinkFailure | LinkageError | IllegalCallerException e) {
            unavailable(e.getMessage() + "; install the NVIDIA driver and the CUDA toolkit's NVRTC (12 or 13),"
                    + " or name them with -Delattn.cuda.library / -Delattn.nvrtc.library");
            return;
        }
        int init = driver.init();
        if (init != CudaDriver.CUDA_SUCCESS) {
            unavailable("cuInit failed: " + driver.errorName(init) + " (" + driver.libraryName()
                    + "); check that an NVIDIA GPU is present and its driver loaded (nvidia-smi)");
            return;
        }
        try {
            int count = driver.deviceCount();
            if (count == 0) {
                unavailable("the CUDA driver reports no devices");
                return;
            }
            List<Device> found = new ArrayList<>();
            for (int ordinal = 0; ordinal < count; ordinal++) {
                found.add(CudaDevice.open(driver, nvrtc, ordinal));
            }
            devices = List.copyOf(found);
            LOG.debug("CUDA driver {} ({}), NVRTC {} ({}): {}", driver.driverVersion(), driver.libraryName(),
                    nvrtc.version(), nvrtc.libraryName(), devices);
        } catch (CudaException e) {
            unavailable(e.getMessage());
        }
    }

    private void unavailable(String reason) {
        unavailableReason = "CUDA unavailable: " + reason;
        LOG.debug(unavailableReason);
    }
}
