package elattn.backend.jvm;

import elattn.compiler.IndexChecks;
import elattn.compiler.KernelNames;
import elattn.kernel.ArrayIndexException;
import elattn.kernel.NativeArray;
import elattn.runtime.Kernel;
import elattn.runtime.KernelFaultException;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An index out of range in a kernel's Java, reported as a device reports it for a checked kernel
 * ({@link KernelFaultException}: kernel, array, index, length, line), so that the same assertion
 * holds on every backend. Java checks every index itself; what it does not say is which of the
 * kernel's arrays it was. The line is the innermost stack frame in the kernel's class (or its
 * generated Java form, which keeps the source's lines); the array is the one the kernel's C source
 * checks at that line ({@link IndexChecks#accesses}): for an array parameter of the kernel, the
 * argument that was indexed ({@link ArrayIndexException} names it); for a local or private array,
 * the one of that length (several of the same length on one line are named together).
 */
final class JvmIndexFaults {
    /** The message of Java's own index checks (arrays, {@code Objects.checkIndex}). */
    private static final Pattern JAVA_MESSAGE = Pattern.compile("Index (-?\\d+) out of bounds for length (\\d+)");

    private JvmIndexFaults() {
    }

    /**
     * The fault behind {@code failure} (or one of its causes) if it is an index out of range in the
     * kernel's own code, else null.
     *
     * @param args the launch's arguments as the kernel's Java receives them, without the KernelContext
     */
    static KernelFaultException of(Kernel kernel, Throwable failure, Object[] args) {
        IndexOutOfBoundsException e = indexFailure(failure);
        StackTraceElement frame = e == null ? null : kernelFrame(kernel, e);
        if (frame == null) {
            return null;
        }
        int index;
        int length;
        if (e instanceof ArrayIndexException a) {
            index = a.index();
            length = a.array().getSize();
        } else {
            Matcher m = JAVA_MESSAGE.matcher(String.valueOf(e.getMessage()));
            if (!m.find()) {
                return null;
            }
            index = Integer.parseInt(m.group(1));
            length = Integer.parseInt(m.group(2));
        }
        String source = kernel.openclSource();
        IndexChecks.ArrayNames names = IndexChecks.arrays(source);
        List<IndexChecks.Access> atLine = IndexChecks.accesses(source).stream()
                .filter(a -> a.line() == frame.getLineNumber()).toList();
        String array = e instanceof ArrayIndexException a ? parameterArray(a.array(), args, atLine, names)
                : javaArray(length, atLine, names);
        return new KernelFaultException(kernel.name(), array, index, length, names.file(), frame.getLineNumber());
    }

    private static IndexOutOfBoundsException indexFailure(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof IndexOutOfBoundsException e) {
                return e;
            }
        }
        return null;
    }

    /** The innermost frame in the kernel's class or its generated Java form; null if none. */
    private static StackTraceElement kernelFrame(Kernel kernel, Throwable e) {
        String owner = kernel.method().getDeclaringClass().getName();
        for (StackTraceElement frame : e.getStackTrace()) {
            if (frame.getClassName().equals(owner) || frame.getClassName().equals(owner + KernelNames.JVM_CLASS_SUFFIX)) {
                return frame.getLineNumber() > 0 ? frame : null;
            }
        }
        return null;
    }

    /**
     * The name of an array parameter: the kernel's parameter that {@code indexed} was passed as, if
     * the line indexes it; else the array parameters the line indexes (a device function's).
     */
    private static String parameterArray(NativeArray indexed, Object[] args, List<IndexChecks.Access> atLine,
            IndexChecks.ArrayNames names) {
        int id = -1;
        for (int i = 0, arrays = 0; i < args.length; i++) {
            if (args[i] == indexed) {
                id = arrays;
                break;
            }
            arrays += args[i] instanceof NativeArray ? 1 : 0;
        }
        int kernelParameter = id;
        List<IndexChecks.Access> parameters = atLine.stream().filter(a -> a.constantLength() < 0).toList();
        if (id >= 0 && parameters.stream().anyMatch(a -> a.array() == kernelParameter)) {
            return names.name(id);
        }
        return parameters.isEmpty() ? (id >= 0 ? names.name(id) : "?") : joined(parameters, names);
    }

    /** The name of a local or private array of {@code length} that the line indexes. */
    private static String javaArray(int length, List<IndexChecks.Access> atLine, IndexChecks.ArrayNames names) {
        List<IndexChecks.Access> sized = atLine.stream().filter(a -> a.constantLength() == length).toList();
        return sized.isEmpty() ? "?" : joined(sized, names);
    }

    private static String joined(List<IndexChecks.Access> accesses, IndexChecks.ArrayNames names) {
        return String.join(" or ", accesses.stream().map(a -> names.name(a.array())).distinct().toList());
    }
}
