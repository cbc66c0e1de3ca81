package elattn.runtime;

import java.io.Serializable;
import java.lang.invoke.MethodHandleInfo;
import java.lang.invoke.MethodType;
import java.lang.invoke.SerializedLambda;
import java.lang.reflect.Method;

/**
 * Finds the static method behind a kernel method reference ({@code Kernels::add}): a serializable
 * lambda's {@code writeReplace} yields a {@link SerializedLambda} naming the implementation class,
 * method and descriptor.
 */
final class KernelReferences {
    private KernelReferences() {
    }

    /** The referenced method; {@code where} names the task for error messages. */
    static Method resolve(Serializable reference, String where) {
        SerializedLambda lambda = serializedForm(reference, where);
        boolean plainStaticReference = lambda.getImplMethodKind() == MethodHandleInfo.REF_invokeStatic
                && lambda.getCapturedArgCount() == 0
                && !lambda.getImplMethodName().startsWith("lambda$");
        if (!plainStaticReference) {
            throw new ElattnRuntimeException(where + ": the kernel must be a reference to a static method, such as"
                    + " Kernels::add, not a lambda or a reference to an instance method (got "
                    + lambda.getImplClass().replace('/', '.') + "." + lambda.getImplMethodName() + ")");
        }
        String className = lambda.getImplClass().replace('/', '.');
        try {
            Class<?> owner = Class.forName(className, false, reference.getClass().getClassLoader());
            for (Method m : owner.getDeclaredMethods()) {
                if (m.getName().equals(lambda.getImplMethodName())
                        && MethodType.methodType(m.getReturnType(), m.getParameterTypes()).toMethodDescriptorString()
                                .equals(lambda.getImplMethodSignature())) {
                    return m;
                }
            }
        } catch (ClassNotFoundException e) {
            throw new ElattnRuntimeException(where + ": cannot load kernel class " + className, e);
        }
        throw new ElattnRuntimeException(where + ": kernel method " + className + "." + lambda.getImplMethodName()
                + lambda.getImplMethodSignature() + " not found");
    }

    private static SerializedLambda serializedForm(Serializable reference, String where) {
        try {
            Method writeReplace = reference.getClass().getDeclaredMethod("writeReplace");
            writeReplace.setAccessible(true);
            if (writeReplace.invoke(reference) instanceof SerializedLambda lambda) {
                return lambda;
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new ElattnRuntimeException(where + ": cannot find the method behind kernel " + reference
                    + "; pass a static method reference such as Kernels::add", e);
        }
        throw new ElattnRuntimeException(where + ": kernel " + reference
                + " is not a method reference; pass a static method reference such as Kernels::add");
    }
}
