package elattn.runtime;

import elattn.kernel.KernelContext;
import elattn.kernel.NativeArray;
import java.io.Serializable;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * One declared task: its kernel and arguments, checked against the kernel's parameters when the
 * task is declared so mistakes surface where they are made, not at the first execute.
 */
final class TaskSpec {
    private final String graph;
    private final String name;
    private final Kernel kernel;
    private final Object[] args;

    private TaskSpec(String graph, String name, Kernel kernel, Object[] args) {
        this.graph = graph;
        this.name = name;
        this.kernel = kernel;
        this.args = args;
    }

    static TaskSpec declare(String graph, String name, Serializable reference, Object[] args) {
        String where = "graph " + graph + ", task " + name;
        Method method = KernelReferences.resolve(reference, where);
        Kernel kernel;
        try {
            kernel = Kernel.of(method);
        } catch (ElattnRuntimeException e) {
            throw new ElattnRuntimeException(where + ": " + e.getMessage(), e);
        }
        Class<?>[] parameters = method.getParameterTypes();
        if (args.length != parameters.length) {
            throw new ElattnRuntimeException(where + " (" + kernel.name() + "): the kernel takes " + parameters.length
                    + " arguments (" + Arrays.stream(parameters).map(TaskSpec::expected).collect(Collectors.joining(", "))
                    + "), got " + args.length);
        }
        for (int i = 0; i < args.length; i++) {
            if (!accepts(parameters[i], args[i])) {
                throw new ElattnRuntimeException(where + " (" + kernel.name() + "): argument " + (i + 1) + " of "
                        + args.length + " must be " + expected(parameters[i]) + ", got "
                        + (args[i] == null ? "null" : args[i].getClass().getSimpleName()));
            }
        }
        return new TaskSpec(graph, name, kernel, args.clone());
    }

    private static boolean accepts(Class<?> parameter, Object arg) {
        if (parameter == int.class) {
            return arg instanceof Integer || arg instanceof IntParam;
        } else if (parameter == long.class) {
            return arg instanceof Long || arg instanceof LongParam;
        } else if (parameter == float.class) {
            return arg instanceof Float || arg instanceof FloatParam;
        }
        return parameter.isInstance(arg);
    }

    private static String expected(Class<?> parameter) {
        if (parameter == int.class) {
            return "int (an Integer or IntParam)";
        } else if (parameter == long.class) {
            return "long (a Long or LongParam)";
        } else if (parameter == float.class) {
            return "float (a Float or FloatParam)";
        } else if (parameter == KernelContext.class) {
            return "a KernelContext (pass new KernelContext())";
        }
        return "a " + parameter.getSimpleName();
    }

    String graph() {
        return graph;
    }

    String name() {
        return name;
    }

    /** {@code graph.task}, the name used by {@link ExecutionPlan#withGrid} and in results. */
    String qualifiedName() {
        return graph + "." + name;
    }

    Kernel kernel() {
        return kernel;
    }

    /** The arrays among the arguments, in order (an array passed twice appears twice). */
    List<NativeArray> arrays() {
        List<NativeArray> arrays = new ArrayList<>();
        for (Object a : args) {
            if (a instanceof NativeArray array) {
                arrays.add(array);
            }
        }
        return arrays;
    }

    /**
     * The kernel's arguments without the {@code KernelContext}, scalars holding their current
     * values: the form {@link JvmKernel#range} and the backends take (arrays still host arrays).
     */
    Object[] currentArgs() {
        int context = kernel.contextIndex();
        Object[] current = new Object[args.length - (context >= 0 ? 1 : 0)];
        int at = 0;
        for (int i = 0; i < args.length; i++) {
            if (i == context) {
                continue;
            }
            current[at++] = switch (args[i]) {
                case IntParam p -> p.get();
                case LongParam p -> p.get();
                case FloatParam p -> p.get();
                default -> args[i];
            };
        }
        return current;
    }

    @Override
    public String toString() {
        return qualifiedName() + " (" + kernel.name() + ")";
    }
}
