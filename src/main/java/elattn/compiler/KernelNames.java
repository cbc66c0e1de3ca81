package elattn.compiler;

import java.util.List;

/**
 * Where the kernel compiler puts a kernel's generated code and how the runtime finds it again: one
 * place for the names both sides must agree on ({@link KernelProcessor} writes them,
 * {@code elattn.runtime.Kernel} reads them).
 */
public final class KernelNames {
    /** The class-output folder of the generated sources: {@code <root><binary class name, / for .>/<kernel>.cl|.cu}. */
    public static final String RESOURCE_ROOT = "META-INF/elattn/kernels/";
    /** Suffix of the generated class that holds the Java form of a class's {@code @Parallel} kernels. */
    public static final String JVM_CLASS_SUFFIX = "$$Jvm";

    private KernelNames() {
    }

    /**
     * The name a kernel's generated sources and Java form go by: the method's name, or, when its
     * class declares other methods of that name ({@code overloaded}), the name, {@code $} and
     * {@code _Type} per parameter's simple type name ({@code twice$_FloatArray}).
     */
    public static String kernel(String method, boolean overloaded, List<String> parameterTypes) {
        if (!overloaded) {
            return method;
        }
        StringBuilder mangled = new StringBuilder(method).append('$');
        for (String type : parameterTypes) {
            mangled.append('_').append(type);
        }
        return mangled.toString();
    }
}
