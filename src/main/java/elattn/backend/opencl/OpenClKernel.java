package elattn.backend.opencl;

import elattn.runtime.DeviceSession;
import elattn.runtime.Kernel;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * A kernel made for one session: its {@code cl_kernel} (of a program of the device's
 * {@link OpenClPrograms}), with what a launch needs to
 * set arguments (the Java parameter types without the {@code KernelContext}) and to size
 * work-groups ({@code CL_KERNEL_WORK_GROUP_SIZE}).
 *
 * @param kernel the kernel it was built from; null only for sources built by tests through
 *     {@link OpenClSession#compileSource}
 * @param checked whether it was built with its index checks on: its launches then pass the
 *     session's fault record and their number after the ABI's arguments
 */
record OpenClKernel(Kernel kernel, String name, OpenClSession session, List<Class<?>> parameterTypes,
        boolean usesContext, boolean checked, MemorySegment handle, long maxWorkGroupSize)
        implements DeviceSession.CompiledKernel {
    @Override
    public String toString() {
        return name + " on " + session.device().id();
    }
}
