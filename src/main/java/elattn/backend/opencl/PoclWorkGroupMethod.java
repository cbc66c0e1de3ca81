package elattn.backend.opencl;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Steers PoCL (the CPU OpenCL implementation) away from its vectorizing work-group compiler before
 * the first OpenCL call. PoCL turns each kernel into a loop over a work-group's items; its default
 * method, {@code loopvec}, also forces LLVM's loop vectorizer onto those loops, and in PoCL 3.1
 * (Debian 12) that miscompiles kernels where a whole work-group may return before its barriers:
 * {@code LayerNorm.residualRowsGroup} and {@code Attention.softmaxGroup} wrote outside their
 * buffers and killed the JVM with SIGSEGV, even in launches where no group returned. The method
 * {@code loops} builds the same work-item loops without the forced vectorization and runs them
 * correctly (docs/kernel-language.md, "Leaving a work-group early").
 *
 * <p>PoCL reads {@value #VARIABLE} from the process environment when it compiles a kernel, so this
 * sets it there (libc {@code setenv}) unless the user has set it: an explicit choice, such as
 * {@code loopvec} to measure it, is kept. Other OpenCL implementations ignore the variable.
 */
final class PoclWorkGroupMethod {
    /** PoCL's environment variable for the work-group function method. */
    static final String VARIABLE = "POCL_WORK_GROUP_METHOD";
    /** Work-item loops without the forced loop vectorizer. */
    static final String METHOD = "loops";

    private static final Logger LOG = LoggerFactory.getLogger(PoclWorkGroupMethod.class);

    private PoclWorkGroupMethod() {
    }

    /** Sets {@value #VARIABLE} to {@value #METHOD} in the process environment unless it is set already. */
    static synchronized void chooseUnlessSet() {
        if (System.getenv(VARIABLE) != null) {
            return;
        }
        Linker linker = Linker.nativeLinker();
        MethodHandle setenv = linker.defaultLookup().find("setenv")
                .map(f -> linker.downcallHandle(f, FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT)))
                .orElse(null);
        if (setenv == null) {
            LOG.debug("no setenv in the C library: PoCL keeps its default work-group method");
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            int rc = (int) setenv.invokeExact(arena.allocateFrom(VARIABLE), arena.allocateFrom(METHOD), 0);
            if (rc != 0) {
                LOG.debug("setenv({}) failed: PoCL keeps its default work-group method", VARIABLE);
            }
        } catch (Throwable e) {
            throw new IllegalStateException("setenv(" + VARIABLE + ") failed", e);
        }
    }
}
