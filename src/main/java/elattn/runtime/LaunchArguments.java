package elattn.runtime;

import elattn.kernel.NativeArray;
import java.util.List;

/**
 * The check that native backends make before passing launch arguments to the device: a C kernel
 * reads whatever bytes it is given, so a wrong count, an array of the wrong element type or a
 * scalar of the wrong width must be refused here, with the argument's position, rather than
 * corrupt memory on the device.
 */
public final class LaunchArguments {
    private LaunchArguments() {
    }

    /**
     * Checks {@code args} against a kernel's Java parameter types (without the KernelContext): an
     * {@link ArrayBuffer} of the same array class for each array parameter, an {@code Integer},
     * {@code Long} or {@code Float} for each {@code int}, {@code long} or {@code float}. Whether a
     * buffer belongs to the launching session is the session's own check.
     *
     * @throws IllegalArgumentException naming the kernel and the first wrong argument
     */
    public static void check(String kernel, List<Class<?>> parameterTypes, Object[] args) {
        if (args.length != parameterTypes.size()) {
            throw new IllegalArgumentException("kernel " + kernel + " takes " + parameterTypes.size() + " arguments "
                    + parameterTypes + " (without the KernelContext) but got " + args.length);
        }
        for (int i = 0; i < args.length; i++) {
            Class<?> type = parameterTypes.get(i);
            Object arg = args[i];
            boolean ok = NativeArray.class.isAssignableFrom(type)
                    ? arg instanceof ArrayBuffer buffer && buffer.elementType() == type
                    : type == int.class && arg instanceof Integer
                            || type == long.class && arg instanceof Long
                            || type == float.class && arg instanceof Float;
            if (!ok) {
                String expected = NativeArray.class.isAssignableFrom(type)
                        ? "a device buffer of a " + type.getSimpleName() : "a " + type.getName();
                throw new IllegalArgumentException("argument " + i + " of kernel " + kernel + " must be " + expected
                        + ", not " + (arg == null ? "null" : arg + " (" + arg.getClass().getSimpleName() + ")"));
            }
        }
    }
}
