package elattn.backend.cuda;

import static org.junit.jupiter.api.Assumptions.assumeFalse;

import elattn.runtime.Device;
import elattn.runtime.KernelBinaryCache;
import elattn.testing.KernelCacheContract;

/**
 * {@link CudaModules} and the disk cache on a real GPU (skipped where there is none):
 * {@link KernelCacheContract}. Sessions here close before the next one opens, so a module that
 * did not outlive its session's hold on the primary context would fail the later launches.
 */
class CudaKernelCacheTest extends KernelCacheContract {
    private static final CudaBackend BACKEND = new CudaBackend();

    /** The first CUDA device; skips the test where there is none. */
    static CudaDevice cudaDevice() {
        return first(BACKEND);
    }

    private static CudaDevice first(CudaBackend backend) {
        assumeFalse(backend.devices().isEmpty(), () -> "no CUDA device: " + backend.unavailableReason().orElse(""));
        return (CudaDevice) backend.devices().getFirst();
    }

    @Override
    protected Device device() {
        return cudaDevice();
    }

    @Override
    protected Device rediscovered() {
        return first(new CudaBackend());
    }

    @Override
    protected DeviceKernels kernelsOf(Device device) {
        CudaDevice d = (CudaDevice) device;
        return kernels(d, d.modules());
    }

    @Override
    protected DeviceKernels fresh(KernelBinaryCache disk) {
        CudaDevice d = cudaDevice();
        return kernels(d, new CudaModules(d, disk));
    }

    private static DeviceKernels kernels(CudaDevice device, CudaModules modules) {
        return new DeviceKernels(() -> new CudaSession(device, modules), modules::builds, modules::diskLoads);
    }
}
