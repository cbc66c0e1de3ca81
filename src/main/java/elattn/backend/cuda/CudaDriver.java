package elattn.backend.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.List;

/**
 * The CUDA driver API ({@code libcuda.so.1}) through FFM: the handful of calls the backend needs,
 * each as a Java method that checks the {@code CUresult} and throws a {@link CudaException} naming
 * the call, the error (from {@code cuGetErrorName}/{@code cuGetErrorString}) and the device.
 * Handles ({@code CUcontext}, {@code CUstream}, {@code CUmodule}, {@code CUfunction},
 * {@code CUevent}) are {@link MemorySegment} addresses; {@code CUdeviceptr} is a {@code long}.
 */
final class CudaDriver {
    static final int CUDA_SUCCESS = 0;
    static final int CUDA_ERROR_OUT_OF_MEMORY = 2;
    static final int CUDA_ERROR_NOT_READY = 600;

    static final int ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
    static final int ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
    static final int ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;

    private static final int CU_STREAM_NON_BLOCKING = 1;
    private static final int CU_EVENT_DEFAULT = 0;
    private static final int CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;

    private final NativeLibrary lib;
    private final MethodHandle cuGetErrorName, cuGetErrorString, cuInit, cuDriverGetVersion;
    private final MethodHandle cuDeviceGetCount, cuDeviceGet, cuDeviceGetName, cuDeviceTotalMem, cuDeviceGetAttribute;
    private final MethodHandle cuDevicePrimaryCtxRetain, cuDevicePrimaryCtxRelease, cuCtxSetCurrent;
    private final MethodHandle cuStreamCreate, cuStreamDestroy, cuStreamSynchronize;
    private final MethodHandle cuMemAlloc, cuMemFree, cuMemcpyHtoDAsync, cuMemcpyDtoHAsync, cuMemsetD8Async;
    private final MethodHandle cuModuleLoadData, cuModuleUnload, cuModuleGetFunction, cuFuncSetAttribute, cuLaunchKernel;
    private final MethodHandle cuEventCreate, cuEventDestroy, cuEventRecord, cuEventElapsedTime;
    private final MethodHandle cuGraphCreate, cuGraphDestroy, cuGraphAddKernelNode, cuGraphInstantiateWithFlags;
    private final MethodHandle cuGraphExecKernelNodeSetParams, cuGraphLaunch, cuGraphExecDestroy;

    private CudaDriver(NativeLibrary lib) {
        this.lib = lib;
        FunctionDescriptor intOfAddress = FunctionDescriptor.of(JAVA_INT, ADDRESS);
        cuGetErrorName = lib.function(FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), "cuGetErrorName");
        cuGetErrorString = lib.function(FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), "cuGetErrorString");
        cuInit = lib.function(FunctionDescriptor.of(JAVA_INT, JAVA_INT), "cuInit");
        cuDriverGetVersion = lib.function(intOfAddress, "cuDriverGetVersion");
        cuDeviceGetCount = lib.function(intOfAddress, "cuDeviceGetCount");
        cuDeviceGet = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), "cuDeviceGet");
        cuDeviceGetName = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), "cuDeviceGetName");
        cuDeviceTotalMem = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), "cuDeviceTotalMem_v2");
        cuDeviceGetAttribute = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
                "cuDeviceGetAttribute");
        cuDevicePrimaryCtxRetain = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT),
                "cuDevicePrimaryCtxRetain");
        cuDevicePrimaryCtxRelease = lib.function(FunctionDescriptor.of(JAVA_INT, JAVA_INT),
                "cuDevicePrimaryCtxRelease_v2", "cuDevicePrimaryCtxRelease");
        cuCtxSetCurrent = lib.function(intOfAddress, "cuCtxSetCurrent");
        cuStreamCreate = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), "cuStreamCreate");
        cuStreamDestroy = lib.function(intOfAddress, "cuStreamDestroy_v2", "cuStreamDestroy");
        cuStreamSynchronize = lib.function(intOfAddress, "cuStreamSynchronize");
        cuMemAlloc = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), "cuMemAlloc_v2");
        cuMemFree = lib.function(FunctionDescriptor.of(JAVA_INT, JAVA_LONG), "cuMemFree_v2");
        cuMemcpyHtoDAsync = lib.function(FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS),
                "cuMemcpyHtoDAsync_v2");
        cuMemcpyDtoHAsync = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS),
                "cuMemcpyDtoHAsync_v2");
        cuMemsetD8Async = lib.function(FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_BYTE, JAVA_LONG, ADDRESS),
                "cuMemsetD8Async");
        cuModuleLoadData = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), "cuModuleLoadData");
        cuModuleUnload = lib.function(intOfAddress, "cuModuleUnload");
        cuModuleGetFunction = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS),
                "cuModuleGetFunction");
        cuFuncSetAttribute = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
                "cuFuncSetAttribute");
        cuLaunchKernel = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS,
                JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS),
                "cuLaunchKernel");
        cuEventCreate = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), "cuEventCreate");
        cuEventDestroy = lib.function(intOfAddress, "cuEventDestroy_v2", "cuEventDestroy");
        cuEventRecord = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), "cuEventRecord");
        cuEventElapsedTime = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS),
                "cuEventElapsedTime_v2", "cuEventElapsedTime");
        cuGraphCreate = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), "cuGraphCreate");
        cuGraphDestroy = lib.function(intOfAddress, "cuGraphDestroy");
        // The _v2 calls read CUDA_KERNEL_NODE_PARAMS_v2, which extends the first version's fields.
        cuGraphAddKernelNode = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG,
                ADDRESS), "cuGraphAddKernelNode_v2", "cuGraphAddKernelNode");
        cuGraphInstantiateWithFlags = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG),
                "cuGraphInstantiateWithFlags");
        cuGraphExecKernelNodeSetParams = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS),
                "cuGraphExecKernelNodeSetParams_v2", "cuGraphExecKernelNodeSetParams");
        cuGraphLaunch = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), "cuGraphLaunch");
        cuGraphExecDestroy = lib.function(intOfAddress, "cuGraphExecDestroy");
    }

    /**
     * Loads the driver: {@code -Delattn.cuda.library} if given, else {@code libcuda.so.1}.
     * Throws {@link NativeLibrary.LinkFailure} when it is missing or lacks a call.
     */
    static CudaDriver load() {
        String override = System.getProperty("elattn.cuda.library");
        List<String> names = NativeLibrary.candidates(override, List.of("libcuda.so.1"),
                List.of(Path.of("/usr/lib/x86_64-linux-gnu"), Path.of("/usr/local/nvidia/lib64")));
        return new CudaDriver(NativeLibrary.load("the CUDA driver library (libcuda.so.1)", names));
    }

    String libraryName() {
        return lib.name();
    }

    /** {@code cuInit(0)}; returns the raw result so that a missing GPU can be reported, not thrown. */
    int init() {
        try {
            return (int) cuInit.invokeExact(0);
        } catch (Throwable t) {
            throw linkageBug(t);
        }
    }

    /** {@code CUDA_ERROR_NAME (description)} for a result code. */
    String errorName(int result) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            String name = (int) cuGetErrorName.invokeExact(result, out) == CUDA_SUCCESS
                    ? NativeLibrary.string(out.get(ADDRESS, 0), null) : null;
            String text = (int) cuGetErrorString.invokeExact(result, out) == CUDA_SUCCESS
                    ? NativeLibrary.string(out.get(ADDRESS, 0), null) : null;
            return (name == null ? "CUresult " + result : name) + (text == null ? "" : " (" + text + ")");
        } catch (Throwable t) {
            throw linkageBug(t);
        }
    }

    /** Throws a {@link CudaException} unless {@code result} is {@code CUDA_SUCCESS}. */
    void check(String call, int result, String device) {
        if (result != CUDA_SUCCESS) {
            throw new CudaException(call, result, errorName(result), device);
        }
    }

    int driverVersion() {
        return intOut("cuDriverGetVersion", "the driver", out -> (int) cuDriverGetVersion.invokeExact(out));
    }

    int deviceCount() {
        return intOut("cuDeviceGetCount", "the driver", out -> (int) cuDeviceGetCount.invokeExact(out));
    }

    /** The {@code CUdevice} of ordinal {@code ordinal}. */
    int device(int ordinal) {
        return intOut("cuDeviceGet", "cuda:" + ordinal, out -> (int) cuDeviceGet.invokeExact(out, ordinal));
    }

    String deviceName(int device, String where) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(256);
            call("cuDeviceGetName", where, () -> (int) cuDeviceGetName.invokeExact(out, 256, device));
            return out.getString(0);
        }
    }

    long deviceTotalMemory(int device, String where) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_LONG);
            call("cuDeviceTotalMem", where, () -> (int) cuDeviceTotalMem.invokeExact(out, device));
            return out.get(JAVA_LONG, 0);
        }
    }

    int deviceAttribute(int device, int attribute, String where) {
        return intOut("cuDeviceGetAttribute(" + attribute + ")", where,
                out -> (int) cuDeviceGetAttribute.invokeExact(out, attribute, device));
    }

    MemorySegment primaryContextRetain(int device, String where) {
        return addressOut("cuDevicePrimaryCtxRetain", where, out -> (int) cuDevicePrimaryCtxRetain.invokeExact(out, device));
    }

    void primaryContextRelease(int device, String where) {
        call("cuDevicePrimaryCtxRelease", where, () -> (int) cuDevicePrimaryCtxRelease.invokeExact(device));
    }

    void setCurrentContext(MemorySegment context, String where) {
        call("cuCtxSetCurrent", where, () -> (int) cuCtxSetCurrent.invokeExact(context));
    }

    MemorySegment streamCreate(String where) {
        return addressOut("cuStreamCreate", where, out -> (int) cuStreamCreate.invokeExact(out, CU_STREAM_NON_BLOCKING));
    }

    void streamDestroy(MemorySegment stream, String where) {
        call("cuStreamDestroy", where, () -> (int) cuStreamDestroy.invokeExact(stream));
    }

    /** {@code cuStreamSynchronize}; returns the raw result so the caller can say which kernel failed. */
    int streamSynchronize(MemorySegment stream) {
        try {
            return (int) cuStreamSynchronize.invokeExact(stream);
        } catch (Throwable t) {
            throw linkageBug(t);
        }
    }

    /** {@code cuMemAlloc}; returns the raw result so that out-of-memory can become its own exception. */
    int memAlloc(MemorySegment pointerOut, long bytes) {
        try {
            return (int) cuMemAlloc.invokeExact(pointerOut, bytes);
        } catch (Throwable t) {
            throw linkageBug(t);
        }
    }

    void memFree(long pointer, String where) {
        call("cuMemFree", where, () -> (int) cuMemFree.invokeExact(pointer));
    }

    void memcpyHtoDAsync(long dst, MemorySegment src, long bytes, MemorySegment stream, String where) {
        call("cuMemcpyHtoDAsync", where, () -> (int) cuMemcpyHtoDAsync.invokeExact(dst, src, bytes, stream));
    }

    void memcpyDtoHAsync(MemorySegment dst, long src, long bytes, MemorySegment stream, String where) {
        call("cuMemcpyDtoHAsync", where, () -> (int) cuMemcpyDtoHAsync.invokeExact(dst, src, bytes, stream));
    }

    void memsetD8Async(long dst, byte value, long bytes, MemorySegment stream, String where) {
        call("cuMemsetD8Async", where, () -> (int) cuMemsetD8Async.invokeExact(dst, value, bytes, stream));
    }

    /** Loads a module from an image: a CUBIN, or NUL-terminated PTX. */
    MemorySegment moduleLoadData(MemorySegment image, String where) {
        return addressOut("cuModuleLoadData", where, out -> (int) cuModuleLoadData.invokeExact(out, image));
    }

    void moduleUnload(MemorySegment module, String where) {
        call("cuModuleUnload", where, () -> (int) cuModuleUnload.invokeExact(module));
    }

    MemorySegment moduleGetFunction(MemorySegment module, String name, String where) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cName = a.allocateFrom(name);
            return addressOut("cuModuleGetFunction(" + name + ")", where,
                    out -> (int) cuModuleGetFunction.invokeExact(out, module, cName));
        }
    }

    /**
     * Lets {@code function} launch with up to {@code bytes} of dynamic shared memory
     * ({@code CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES}); returns the raw result, which is an
     * error when the device has less shared memory per block.
     */
    int allowDynamicSharedMemory(MemorySegment function, int bytes) {
        try {
            return (int) cuFuncSetAttribute.invokeExact(function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes);
        } catch (Throwable t) {
            throw linkageBug(t);
        }
    }

    /** {@code cuLaunchKernel} with {@code sharedBytes} of dynamic shared memory and a {@code void*[]} of parameters. */
    /** {@code cuLaunchKernel}; returns the raw result, so that the caller names the launch only when it failed. */
    int launchKernel(MemorySegment function, int[] grid, int[] block, int sharedBytes, MemorySegment stream,
            MemorySegment params) {
        try {
            return (int) cuLaunchKernel.invokeExact(function, grid[0], grid[1], grid[2], block[0], block[1], block[2],
                    sharedBytes, stream, params, MemorySegment.NULL);
        } catch (Throwable t) {
            throw linkageBug(t);
        }
    }

    MemorySegment eventCreate(String where) {
        return addressOut("cuEventCreate", where, out -> (int) cuEventCreate.invokeExact(out, CU_EVENT_DEFAULT));
    }

    void eventDestroy(MemorySegment event, String where) {
        call("cuEventDestroy", where, () -> (int) cuEventDestroy.invokeExact(event));
    }

    void eventRecord(MemorySegment event, MemorySegment stream, String where) {
        call("cuEventRecord", where, () -> (int) cuEventRecord.invokeExact(event, stream));
    }

    /** Milliseconds between two recorded, completed events. */
    float eventElapsedMillis(MemorySegment start, MemorySegment end, String where) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_FLOAT);
            call("cuEventElapsedTime", where, () -> (int) cuEventElapsedTime.invokeExact(out, start, end));
            return out.get(JAVA_FLOAT, 0);
        }
    }

    MemorySegment graphCreate(String where) {
        return addressOut("cuGraphCreate", where, out -> (int) cuGraphCreate.invokeExact(out, 0));
    }

    void graphDestroy(MemorySegment graph, String where) {
        call("cuGraphDestroy", where, () -> (int) cuGraphDestroy.invokeExact(graph));
    }

    /** Adds a kernel node after {@code dependency} (or as a root if it is NULL); returns the node. */
    MemorySegment graphAddKernelNode(MemorySegment graph, MemorySegment dependency, MemorySegment nodeParams,
            String where) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment deps = a.allocateFrom(ADDRESS, dependency);
            long count = dependency.equals(MemorySegment.NULL) ? 0 : 1;
            return addressOut("cuGraphAddKernelNode", where,
                    out -> (int) cuGraphAddKernelNode.invokeExact(out, graph, deps, count, nodeParams));
        }
    }

    MemorySegment graphInstantiate(MemorySegment graph, String where) {
        return addressOut("cuGraphInstantiateWithFlags", where,
                out -> (int) cuGraphInstantiateWithFlags.invokeExact(out, graph, 0L));
    }

    void graphExecKernelNodeSetParams(MemorySegment exec, MemorySegment node, MemorySegment nodeParams, String where) {
        call("cuGraphExecKernelNodeSetParams", where,
                () -> (int) cuGraphExecKernelNodeSetParams.invokeExact(exec, node, nodeParams));
    }

    void graphLaunch(MemorySegment exec, MemorySegment stream, String where) {
        call("cuGraphLaunch", where, () -> (int) cuGraphLaunch.invokeExact(exec, stream));
    }

    void graphExecDestroy(MemorySegment exec, String where) {
        call("cuGraphExecDestroy", where, () -> (int) cuGraphExecDestroy.invokeExact(exec));
    }

    /** A native call returning a {@code CUresult}. */
    @FunctionalInterface
    private interface Call {
        int invoke() throws Throwable;
    }

    /** A native call with one out-parameter. */
    @FunctionalInterface
    private interface OutCall {
        int invoke(MemorySegment out) throws Throwable;
    }

    private void call(String name, String where, Call c) {
        int result;
        try {
            result = c.invoke();
        } catch (Throwable t) {
            throw linkageBug(t);
        }
        check(name, result, where);
    }

    private int intOut(String name, String where, OutCall c) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_INT);
            call(name, where, () -> c.invoke(out));
            return out.get(JAVA_INT, 0);
        }
    }

    private MemorySegment addressOut(String name, String where, OutCall c) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            call(name, where, () -> c.invoke(out));
            return out.get(ADDRESS, 0);
        }
    }

    /** A downcall that throws is a mismatch between a handle and its call site: a bug here. */
    static IllegalStateException linkageBug(Throwable t) {
        return new IllegalStateException("native call failed to link (a bug in elattn's CUDA bindings): " + t, t);
    }
}
