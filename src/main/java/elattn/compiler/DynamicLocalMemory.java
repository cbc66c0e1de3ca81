package elattn.compiler;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a CUDA kernel with more local memory than static shared memory allows tells the backend what
 * to launch it with. CUDA caps a kernel's {@code __shared__} arrays at {@value #STATIC_LIMIT} bytes;
 * past that (up to 227 KiB a block on Hopper, 163 KiB on the A100, 99 KiB on consumer Ampere and
 * Ada) the memory must be dynamic: one {@code extern __shared__} block, sized at launch, after the
 * kernel opted in with {@code cuFuncSetAttribute(CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES)}.
 * The translator carves such a kernel's local arrays out of that block and writes {@link #marker}
 * above it; the CUDA backend reads the size back with {@link #bytes}. Deep multi-stage tile
 * pipelines ({@code Gemm.hgemmTensorCore}) are what need it.
 */
public final class DynamicLocalMemory {
    /** Bytes of static shared memory a CUDA kernel may declare. */
    public static final long STATIC_LIMIT = 48 * 1024;

    private static final String PREFIX = "// elattn: dynamic local memory bytes ";
    private static final Pattern MARKER = Pattern.compile("^" + Pattern.quote(PREFIX) + "(\\d+)$", Pattern.MULTILINE);

    private DynamicLocalMemory() {
    }

    /** The source line that says a kernel's launch needs {@code bytes} of dynamic shared memory. */
    static String marker(long bytes) {
        return PREFIX + bytes;
    }

    /** The dynamic shared memory a translated CUDA kernel's launch needs: its marker's bytes, or 0. */
    public static int bytes(String cudaSource) {
        Matcher m = MARKER.matcher(cudaSource);
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }
}
