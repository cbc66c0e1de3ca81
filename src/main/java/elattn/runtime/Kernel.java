package elattn.runtime;

import elattn.compiler.KernelNames;
import elattn.kernel.KernelContext;
import elattn.kernel.NativeArray;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A kernel method together with what the kernel compiler made of it at build time: its OpenCL C and
 * CUDA C sources (resources {@code META-INF/elattn/kernels/<class path>/<method>.cl} and {@code .cu}
 * next to the class) and, for {@code @Parallel} kernels, its {@link JvmKernel} (field
 * {@code <method>} of the generated class {@code <class>$$Jvm}).
 *
 * <p>Device C ABI, the contract between the compiler and the backends: the C function is named
 * after the method; its parameters are the Java parameters in order without the
 * {@code KernelContext}, each array as a pointer to its elements followed by an {@code int} with its
 * length, each scalar by value ({@code int}, {@code long}, {@code float}). Built with its index checks
 * on ({@code elattn.compiler.IndexChecks}), a kernel takes two more: an {@code int*} to the session's
 * fault record and the launch's {@code int} number.
 */
public final class Kernel {
    private static final Map<Method, Kernel> CACHE = new ConcurrentHashMap<>();

    private final Method method;
    /** Position of the {@code KernelContext} parameter, or -1. */
    private final int contextIndex;
    private final List<Class<?>> parameterTypes;
    /** The name of its generated sources and Java form ({@link KernelNames#kernel}). */
    private final String generatedName;
    private final String openclSource;
    private final String cudaSource;
    private final boolean needsGroupSize;
    private final JvmKernel jvm;

    private Kernel(Method method) {
        this.method = method;
        Class<?>[] types = method.getParameterTypes();
        this.contextIndex = Arrays.asList(types).indexOf(KernelContext.class);
        List<Class<?>> withoutContext = new ArrayList<>(Arrays.asList(types));
        if (usesContext()) {
            withoutContext.remove(contextIndex);
        }
        this.parameterTypes = List.copyOf(withoutContext);
        for (Class<?> t : parameterTypes) {
            if (!(NativeArray.class.isAssignableFrom(t) || t == int.class || t == long.class || t == float.class)) {
                throw new ElattnRuntimeException("kernel " + name() + " has a parameter of type " + t.getName()
                        + "; kernels take FloatArray, IntArray, HalfFloatArray, int, long and float");
            }
        }
        this.generatedName = kernelName(method);
        this.openclSource = resource(".cl");
        this.cudaSource = resource(".cu");
        this.needsGroupSize = openclSource.contains("barrier(") || openclSource.contains("__local ");
        this.jvm = usesContext() ? null : generatedJvmKernel();
    }

    /** The kernel for a method, loading its generated sources once. */
    public static Kernel of(Method method) {
        return CACHE.computeIfAbsent(method, Kernel::new);
    }

    /** {@code SimpleClassName.method}, for messages and task reports. */
    public String name() {
        return method.getDeclaringClass().getSimpleName() + "." + method.getName();
    }

    /** The device function name (the method's name). */
    public String functionName() {
        return method.getName();
    }

    public Method method() {
        return method;
    }

    /** Whether the kernel takes a {@code KernelContext} (work-group style). */
    public boolean usesContext() {
        return contextIndex >= 0;
    }

    /** Position of the {@code KernelContext} among the method's parameters (any, as in TornadoVM), or -1. */
    public int contextIndex() {
        return contextIndex;
    }

    /** Parameter types without the {@code KernelContext}. */
    public List<Class<?>> parameterTypes() {
        return parameterTypes;
    }

    /**
     * Whether the kernel depends on its work-group size: it synchronises a work-group or shares
     * local memory (its generated OpenCL C has a barrier or a {@code __local} array), so a launch
     * grid must say the size; other {@code KernelContext} kernels run with one the runtime picks.
     */
    public boolean needsGroupSize() {
        return needsGroupSize;
    }

    public String openclSource() {
        return openclSource;
    }

    public String cudaSource() {
        return cudaSource;
    }

    /** The Java form of a {@code @Parallel} kernel; null for {@code KernelContext} kernels. */
    public JvmKernel jvm() {
        return jvm;
    }

    /** {@link KernelNames#kernel} of the method, from its class as loaded. */
    static String kernelName(Method method) {
        long sameName = Arrays.stream(method.getDeclaringClass().getDeclaredMethods())
                .filter(m -> m.getName().equals(method.getName()) && !m.isSynthetic()).count();
        return KernelNames.kernel(method.getName(), sameName > 1,
                Arrays.stream(method.getParameterTypes()).map(Class::getSimpleName).toList());
    }

    private String resource(String suffix) {
        Class<?> owner = method.getDeclaringClass();
        String path = KernelNames.RESOURCE_ROOT + owner.getName().replace('.', '/') + "/" + generatedName + suffix;
        ClassLoader loader = owner.getClassLoader();
        try (InputStream in = loader == null ? null : loader.getResourceAsStream(path)) {
            if (in == null) {
                throw notCompiled("its generated source " + path + " is missing");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ElattnRuntimeException("cannot read " + path + " for kernel " + name(), e);
        }
    }

    private JvmKernel generatedJvmKernel() {
        Class<?> owner = method.getDeclaringClass();
        try {
            Class<?> generated = Class.forName(owner.getName() + KernelNames.JVM_CLASS_SUFFIX, true, owner.getClassLoader());
            return (JvmKernel) generated.getField(generatedName).get(null);
        } catch (ReflectiveOperationException e) {
            throw notCompiled("its generated class " + owner.getName() + KernelNames.JVM_CLASS_SUFFIX + " lacks it (" + e + ")");
        }
    }

    private ElattnRuntimeException notCompiled(String detail) {
        String shape = Modifier.isStatic(method.getModifiers()) && method.getReturnType() == void.class
                ? "" : " (a kernel must be a static void method)";
        return new ElattnRuntimeException("method " + name() + " was not compiled as a kernel: " + detail + shape
                + "; build it with the elattn.compiler.KernelProcessor annotation processor");
    }

    @Override
    public String toString() {
        return name();
    }
}
