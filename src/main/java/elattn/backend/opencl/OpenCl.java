package elattn.backend.opencl;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * The OpenCL 1.2 C API functions the backend calls, as FFM downcall handles over the ICD loader
 * ({@code libOpenCL.so.1}), so no JNI or native build step is needed. Each method is a thin typed
 * wrapper returning what the C function returns; handles ({@code cl_context}, {@code cl_mem}, ...)
 * are {@link MemorySegment} addresses, {@code size_t} and {@code cl_bitfield} are {@code long},
 * {@code cl_uint}/{@code cl_int}/{@code cl_bool} are {@code int}. Checking the codes is the caller's
 * job ({@link ClErrors}), since it knows which device a call was for.
 */
final class OpenCl {
    // Parameter names of the info queries and flags used by the backend (values from CL/cl.h).
    static final long CL_DEVICE_TYPE_GPU = 1L << 2;
    static final long CL_DEVICE_TYPE_ALL = 0xFFFFFFFFL;
    static final int CL_PLATFORM_VERSION = 0x0901;
    static final int CL_PLATFORM_NAME = 0x0902;
    static final int CL_DEVICE_TYPE = 0x1000;
    static final int CL_DEVICE_MAX_COMPUTE_UNITS = 0x1002;
    static final int CL_DEVICE_MAX_WORK_ITEM_DIMENSIONS = 0x1003;
    static final int CL_DEVICE_MAX_WORK_ITEM_SIZES = 0x1005;
    static final int CL_DEVICE_MAX_MEM_ALLOC_SIZE = 0x1010;
    static final int CL_DEVICE_GLOBAL_MEM_SIZE = 0x101F;
    static final int CL_DEVICE_NAME = 0x102B;
    static final int CL_DRIVER_VERSION = 0x102D;
    static final int CL_DEVICE_VERSION = 0x102F;
    static final long CL_QUEUE_PROFILING_ENABLE = 1L << 1;
    static final long CL_MEM_READ_WRITE = 1L << 0;
    static final int CL_PROGRAM_BINARY_SIZES = 0x1165;
    static final int CL_PROGRAM_BINARIES = 0x1166;
    static final int CL_PROGRAM_BUILD_LOG = 0x1183;
    static final int CL_KERNEL_WORK_GROUP_SIZE = 0x11B0;
    static final int CL_PROFILING_COMMAND_START = 0x1282;
    static final int CL_PROFILING_COMMAND_END = 0x1283;
    static final int CL_FALSE = 0;

    private static final Linker LINKER = Linker.nativeLinker();
    /** {@code cl_int f(handle)}: every clRelease* and clFinish. */
    private static final FunctionDescriptor INT_OF_HANDLE = FunctionDescriptor.of(JAVA_INT, ADDRESS);
    /** {@code cl_int f(handle, cl_uint param, size_t size, void* value, size_t* size_ret)}: clGet*Info. */
    private static final FunctionDescriptor INFO = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
    /** {@code cl_int f(handle, device, cl_uint param, size_t size, void* value, size_t* size_ret)}. */
    private static final FunctionDescriptor INFO_FOR_DEVICE =
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
    /** clEnqueueReadBuffer and clEnqueueWriteBuffer. */
    private static final FunctionDescriptor ENQUEUE_COPY = FunctionDescriptor.of(JAVA_INT,
            ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_INT, ADDRESS, ADDRESS);

    private final MethodHandle getPlatformIDs;
    private final MethodHandle getPlatformInfo;
    private final MethodHandle getDeviceIDs;
    private final MethodHandle getDeviceInfo;
    private final MethodHandle createContext;
    private final MethodHandle createCommandQueue;
    private final MethodHandle createBuffer;
    private final MethodHandle enqueueWriteBuffer;
    private final MethodHandle enqueueReadBuffer;
    private final MethodHandle enqueueFillBuffer;
    private final MethodHandle createProgramWithSource;
    private final MethodHandle createProgramWithBinary;
    private final MethodHandle getProgramInfo;
    private final MethodHandle buildProgram;
    private final MethodHandle getProgramBuildInfo;
    private final MethodHandle createKernel;
    private final MethodHandle getKernelWorkGroupInfo;
    private final MethodHandle setKernelArg;
    private final MethodHandle enqueueNDRangeKernel;
    private final MethodHandle finish;
    private final MethodHandle getEventProfilingInfo;
    private final MethodHandle releaseMemObject;
    private final MethodHandle releaseKernel;
    private final MethodHandle releaseProgram;
    private final MethodHandle releaseCommandQueue;
    private final MethodHandle releaseContext;
    private final MethodHandle releaseEvent;

    private OpenCl(SymbolLookup lib) {
        getPlatformIDs = bind(lib, "clGetPlatformIDs", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
        getPlatformInfo = bind(lib, "clGetPlatformInfo", INFO);
        getDeviceIDs = bind(lib, "clGetDeviceIDs",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS));
        getDeviceInfo = bind(lib, "clGetDeviceInfo", INFO);
        createContext = bind(lib, "clCreateContext",
                FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        // clCreateCommandQueue is deprecated since OpenCL 2.0 but every ICD loader exports it, and
        // it also works with OpenCL 1.2 drivers, which clCreateCommandQueueWithProperties does not.
        createCommandQueue = bind(lib, "clCreateCommandQueue",
                FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));
        createBuffer = bind(lib, "clCreateBuffer",
                FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS));
        enqueueWriteBuffer = bind(lib, "clEnqueueWriteBuffer", ENQUEUE_COPY);
        enqueueReadBuffer = bind(lib, "clEnqueueReadBuffer", ENQUEUE_COPY);
        enqueueFillBuffer = bind(lib, "clEnqueueFillBuffer", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS));
        createProgramWithSource = bind(lib, "clCreateProgramWithSource",
                FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        createProgramWithBinary = bind(lib, "clCreateProgramWithBinary",
                FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        getProgramInfo = bind(lib, "clGetProgramInfo", INFO);
        buildProgram = bind(lib, "clBuildProgram",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        getProgramBuildInfo = bind(lib, "clGetProgramBuildInfo", INFO_FOR_DEVICE);
        createKernel = bind(lib, "clCreateKernel", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        getKernelWorkGroupInfo = bind(lib, "clGetKernelWorkGroupInfo", INFO_FOR_DEVICE);
        setKernelArg = bind(lib, "clSetKernelArg", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS));
        enqueueNDRangeKernel = bind(lib, "clEnqueueNDRangeKernel", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS));
        finish = bind(lib, "clFinish", INT_OF_HANDLE);
        getEventProfilingInfo = bind(lib, "clGetEventProfilingInfo", INFO);
        releaseMemObject = bind(lib, "clReleaseMemObject", INT_OF_HANDLE);
        releaseKernel = bind(lib, "clReleaseKernel", INT_OF_HANDLE);
        releaseProgram = bind(lib, "clReleaseProgram", INT_OF_HANDLE);
        releaseCommandQueue = bind(lib, "clReleaseCommandQueue", INT_OF_HANDLE);
        releaseContext = bind(lib, "clReleaseContext", INT_OF_HANDLE);
        releaseEvent = bind(lib, "clReleaseEvent", INT_OF_HANDLE);
    }

    /**
     * Loads the library (for the life of the JVM: drivers are not safely unloadable) and binds the
     * functions. Throws {@link IllegalArgumentException} if the library cannot be loaded and
     * {@link IllegalStateException} naming the function if one is missing.
     */
    static OpenCl load(String library) {
        return new OpenCl(SymbolLookup.libraryLookup(library, Arena.global()));
    }

    private static MethodHandle bind(SymbolLookup lib, String name, FunctionDescriptor descriptor) {
        MemorySegment symbol = lib.find(name).orElseThrow(
                () -> new IllegalStateException("the OpenCL library lacks the function " + name));
        return LINKER.downcallHandle(symbol, descriptor);
    }

    /** A downcall that threw: only possible through a mismatch between a wrapper and its descriptor. */
    private static AssertionError broken(String function, Throwable t) {
        return new AssertionError("FFM call to " + function + " failed", t);
    }

    /** One {@code clGet*Info} call with its object and parameter bound: {@code (size, value, size_ret) -> cl_int}. */
    @FunctionalInterface
    interface InfoQuery {
        int get(long size, MemorySegment value, MemorySegment sizeRet);
    }

    /** A {@code char[]} property, such as a device name or a build log. */
    static String infoString(InfoQuery query, String call, String where) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment size = arena.allocate(JAVA_LONG);
            ClErrors.check(query.get(0, MemorySegment.NULL, size), call, where);
            MemorySegment value = arena.allocate(Math.max(1, size.get(JAVA_LONG, 0)));
            ClErrors.check(query.get(value.byteSize(), value, MemorySegment.NULL), call, where);
            return value.getString(0).strip();
        }
    }

    /** A {@code cl_ulong}, {@code size_t} or {@code cl_bitfield} property. */
    static long infoLong(InfoQuery query, String call, String where) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(JAVA_LONG);
            ClErrors.check(query.get(value.byteSize(), value, MemorySegment.NULL), call, where);
            return value.get(JAVA_LONG, 0);
        }
    }

    /** A {@code cl_uint} property. */
    static int infoInt(InfoQuery query, String call, String where) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(JAVA_INT);
            ClErrors.check(query.get(value.byteSize(), value, MemorySegment.NULL), call, where);
            return value.get(JAVA_INT, 0);
        }
    }

    /** A {@code size_t[]} property of {@code count} elements. */
    static long[] infoLongs(InfoQuery query, int count, String call, String where) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(JAVA_LONG, count);
            ClErrors.check(query.get(value.byteSize(), value, MemorySegment.NULL), call, where);
            return value.toArray(JAVA_LONG);
        }
    }

    int getPlatformIDs(int numEntries, MemorySegment platforms, MemorySegment numPlatforms) {
        try {
            return (int) getPlatformIDs.invokeExact(numEntries, platforms, numPlatforms);
        } catch (Throwable t) {
            throw broken("clGetPlatformIDs", t);
        }
    }

    int getPlatformInfo(MemorySegment platform, int param, long size, MemorySegment value, MemorySegment sizeRet) {
        try {
            return (int) getPlatformInfo.invokeExact(platform, param, size, value, sizeRet);
        } catch (Throwable t) {
            throw broken("clGetPlatformInfo", t);
        }
    }

    int getDeviceIDs(MemorySegment platform, long type, int numEntries, MemorySegment devices, MemorySegment numDevices) {
        try {
            return (int) getDeviceIDs.invokeExact(platform, type, numEntries, devices, numDevices);
        } catch (Throwable t) {
            throw broken("clGetDeviceIDs", t);
        }
    }

    int getDeviceInfo(MemorySegment device, int param, long size, MemorySegment value, MemorySegment sizeRet) {
        try {
            return (int) getDeviceInfo.invokeExact(device, param, size, value, sizeRet);
        } catch (Throwable t) {
            throw broken("clGetDeviceInfo", t);
        }
    }

    MemorySegment createContext(MemorySegment device, MemorySegment errcode) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment devices = arena.allocateFrom(ADDRESS, device);
            return (MemorySegment) createContext.invokeExact(MemorySegment.NULL, 1, devices,
                    MemorySegment.NULL, MemorySegment.NULL, errcode);
        } catch (Throwable t) {
            throw broken("clCreateContext", t);
        }
    }

    MemorySegment createCommandQueue(MemorySegment context, MemorySegment device, long properties, MemorySegment errcode) {
        try {
            return (MemorySegment) createCommandQueue.invokeExact(context, device, properties, errcode);
        } catch (Throwable t) {
            throw broken("clCreateCommandQueue", t);
        }
    }

    MemorySegment createBuffer(MemorySegment context, long flags, long size, MemorySegment errcode) {
        try {
            return (MemorySegment) createBuffer.invokeExact(context, flags, size, MemorySegment.NULL, errcode);
        } catch (Throwable t) {
            throw broken("clCreateBuffer", t);
        }
    }

    /** Non-blocking write of {@code size} bytes from host memory {@code src}, no events. */
    int enqueueWriteBuffer(MemorySegment queue, MemorySegment buffer, long size, MemorySegment src) {
        try {
            return (int) enqueueWriteBuffer.invokeExact(queue, buffer, CL_FALSE, 0L, size, src, 0,
                    MemorySegment.NULL, MemorySegment.NULL);
        } catch (Throwable t) {
            throw broken("clEnqueueWriteBuffer", t);
        }
    }

    /** Non-blocking read of {@code size} bytes into host memory {@code dst}, no events. */
    int enqueueReadBuffer(MemorySegment queue, MemorySegment buffer, long size, MemorySegment dst) {
        try {
            return (int) enqueueReadBuffer.invokeExact(queue, buffer, CL_FALSE, 0L, size, dst, 0,
                    MemorySegment.NULL, MemorySegment.NULL);
        } catch (Throwable t) {
            throw broken("clEnqueueReadBuffer", t);
        }
    }

    /**
     * Non-blocking fill of the first {@code size} bytes of {@code buffer} with zeros, no events (OpenCL
     * 1.2). A one-byte pattern, so any size is a multiple of it.
     */
    int enqueueFillZero(MemorySegment queue, MemorySegment buffer, long size) {
        try (Arena arena = Arena.ofConfined()) {
            // The pattern is copied when the command is enqueued, so a confined arena may free it after.
            MemorySegment zero = arena.allocate(1);
            return (int) enqueueFillBuffer.invokeExact(queue, buffer, zero, 1L, 0L, size, 0, MemorySegment.NULL,
                    MemorySegment.NULL);
        } catch (Throwable t) {
            throw broken("clEnqueueFillBuffer", t);
        }
    }

    MemorySegment createProgramWithSource(MemorySegment context, String source, MemorySegment errcode) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment text = arena.allocateFrom(source);
            MemorySegment strings = arena.allocateFrom(ADDRESS, text);
            // lengths NULL: the string is NUL-terminated.
            return (MemorySegment) createProgramWithSource.invokeExact(context, 1, strings, MemorySegment.NULL, errcode);
        } catch (Throwable t) {
            throw broken("clCreateProgramWithSource", t);
        }
    }

    /**
     * A program for one device from a binary that {@link #getProgramInfo} gave
     * ({@code CL_PROGRAM_BINARIES}); it still needs {@link #buildProgram}. {@code binaryStatus}
     * receives the device's {@code cl_int} verdict on the binary.
     */
    MemorySegment createProgramWithBinary(MemorySegment context, MemorySegment device, byte[] binary,
            MemorySegment binaryStatus, MemorySegment errcode) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment devices = arena.allocateFrom(ADDRESS, device);
            MemorySegment lengths = arena.allocateFrom(JAVA_LONG, binary.length);
            MemorySegment image = arena.allocate(Math.max(1, binary.length));
            image.copyFrom(MemorySegment.ofArray(binary));
            MemorySegment binaries = arena.allocateFrom(ADDRESS, image);
            return (MemorySegment) createProgramWithBinary.invokeExact(context, 1, devices, lengths, binaries,
                    binaryStatus, errcode);
        } catch (Throwable t) {
            throw broken("clCreateProgramWithBinary", t);
        }
    }

    int getProgramInfo(MemorySegment program, int param, long size, MemorySegment value, MemorySegment sizeRet) {
        try {
            return (int) getProgramInfo.invokeExact(program, param, size, value, sizeRet);
        } catch (Throwable t) {
            throw broken("clGetProgramInfo", t);
        }
    }

    int buildProgram(MemorySegment program, MemorySegment device, String options) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment devices = arena.allocateFrom(ADDRESS, device);
            return (int) buildProgram.invokeExact(program, 1, devices, arena.allocateFrom(options),
                    MemorySegment.NULL, MemorySegment.NULL);
        } catch (Throwable t) {
            throw broken("clBuildProgram", t);
        }
    }

    int getProgramBuildInfo(MemorySegment program, MemorySegment device, int param, long size, MemorySegment value,
            MemorySegment sizeRet) {
        try {
            return (int) getProgramBuildInfo.invokeExact(program, device, param, size, value, sizeRet);
        } catch (Throwable t) {
            throw broken("clGetProgramBuildInfo", t);
        }
    }

    MemorySegment createKernel(MemorySegment program, String name, MemorySegment errcode) {
        try (Arena arena = Arena.ofConfined()) {
            return (MemorySegment) createKernel.invokeExact(program, arena.allocateFrom(name), errcode);
        } catch (Throwable t) {
            throw broken("clCreateKernel", t);
        }
    }

    int getKernelWorkGroupInfo(MemorySegment kernel, MemorySegment device, int param, long size, MemorySegment value,
            MemorySegment sizeRet) {
        try {
            return (int) getKernelWorkGroupInfo.invokeExact(kernel, device, param, size, value, sizeRet);
        } catch (Throwable t) {
            throw broken("clGetKernelWorkGroupInfo", t);
        }
    }

    int setKernelArg(MemorySegment kernel, int index, long size, MemorySegment value) {
        try {
            return (int) setKernelArg.invokeExact(kernel, index, size, value);
        } catch (Throwable t) {
            throw broken("clSetKernelArg", t);
        }
    }

    /** Enqueues a launch with no global offset and no wait list; {@code local} may be NULL. */
    int enqueueNDRangeKernel(MemorySegment queue, MemorySegment kernel, int dims, MemorySegment global,
            MemorySegment local, MemorySegment event) {
        try {
            return (int) enqueueNDRangeKernel.invokeExact(queue, kernel, dims, MemorySegment.NULL, global, local, 0,
                    MemorySegment.NULL, event);
        } catch (Throwable t) {
            throw broken("clEnqueueNDRangeKernel", t);
        }
    }

    int finish(MemorySegment queue) {
        return invokeOnHandle(finish, "clFinish", queue);
    }

    int getEventProfilingInfo(MemorySegment event, int param, long size, MemorySegment value, MemorySegment sizeRet) {
        try {
            return (int) getEventProfilingInfo.invokeExact(event, param, size, value, sizeRet);
        } catch (Throwable t) {
            throw broken("clGetEventProfilingInfo", t);
        }
    }

    int releaseMemObject(MemorySegment memory) {
        return invokeOnHandle(releaseMemObject, "clReleaseMemObject", memory);
    }

    int releaseKernel(MemorySegment kernel) {
        return invokeOnHandle(releaseKernel, "clReleaseKernel", kernel);
    }

    int releaseProgram(MemorySegment program) {
        return invokeOnHandle(releaseProgram, "clReleaseProgram", program);
    }

    int releaseCommandQueue(MemorySegment queue) {
        return invokeOnHandle(releaseCommandQueue, "clReleaseCommandQueue", queue);
    }

    int releaseContext(MemorySegment context) {
        return invokeOnHandle(releaseContext, "clReleaseContext", context);
    }

    int releaseEvent(MemorySegment event) {
        return invokeOnHandle(releaseEvent, "clReleaseEvent", event);
    }

    private static int invokeOnHandle(MethodHandle handle, String function, MemorySegment object) {
        try {
            return (int) handle.invokeExact(object);
        } catch (Throwable t) {
            throw broken(function, t);
        }
    }
}
