package elattn.cli;

import elattn.runtime.Device;
import elattn.runtime.Devices;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options every command that runs kernels shares: which device, and where to dump kernels. */
final class DeviceOptions {
    @Option(names = "--device", paramLabel = "ID",
            description = "jvm, opencl:N or cuda:N (see `elattn devices`; opencl or cuda: the first of that backend);"
                    + " default: the best GPU, else jvm.")
    String device;

    @Option(names = "--dump-kernels", paramLabel = "DIR",
            description = "Write the OpenCL C / CUDA C (and PTX) of every kernel built to DIR.")
    Path dumpKernels;

    /** Applies {@code --dump-kernels} and returns the chosen device. */
    Device select() {
        if (dumpKernels != null) {
            System.setProperty("elattn.dumpKernels", dumpKernels.toAbsolutePath().toString());
        }
        return device == null ? Devices.defaultDevice() : Devices.byId(device);
    }
}
