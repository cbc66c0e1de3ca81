package elattn.backend.opencl;

import elattn.runtime.Device;
import elattn.runtime.KernelBinaryCache;
import elattn.testing.KernelCacheContract;

/** {@link OpenClPrograms} and the disk cache on the test device (PoCL on CI): {@link KernelCacheContract}. */
class OpenClKernelCacheTest extends KernelCacheContract {
    @Override
    protected Device device() {
        return OpenClTestDevices.testDevice();
    }

    @Override
    protected Device rediscovered() {
        return OpenClTestDevices.rediscovered();
    }

    @Override
    protected DeviceKernels kernelsOf(Device device) {
        OpenClDevice d = (OpenClDevice) device;
        return kernels(d, d.programs());
    }

    @Override
    protected DeviceKernels fresh(KernelBinaryCache disk) {
        OpenClDevice d = OpenClTestDevices.testDevice();
        return kernels(d, new OpenClPrograms(d, disk));
    }

    private static DeviceKernels kernels(OpenClDevice device, OpenClPrograms programs) {
        return new DeviceKernels(() -> new OpenClSession(device, programs), programs::builds, programs::diskLoads);
    }
}
