package elattn.compiler;

import java.util.Set;
import java.util.regex.Pattern;

/**
 * C names for Java identifiers: a Java name that is a keyword, type or built-in function in OpenCL C
 * or CUDA C++ (say a local called {@code max}, {@code half} or {@code local}), or that begins like the
 * translator's own names and macros ({@code elattn_}, {@code ELATTN_}), gets a trailing underscore,
 * so any valid kernel translates.
 */
final class CNames {
    private static final Set<String> RESERVED = Set.of(
            // C, C++ and CUDA keywords and types that are not Java keywords
            "auto", "register", "signed", "unsigned", "struct", "union", "typedef", "sizeof", "extern", "inline",
            "restrict", "bool", "template", "typename", "namespace", "using", "delete", "operator", "friend",
            "virtual", "mutable", "explicit", "export", "asm", "not", "and", "or", "xor", "bitand", "bitor",
            "compl", "not_eq", "or_eq", "and_eq", "xor_eq", "main", "NULL", "size_t", "ptrdiff_t", "intptr_t",
            "uintptr_t", "dim3", "threadIdx", "blockIdx", "blockDim", "gridDim", "warpSize", "INFINITY", "NAN",
            "nullptr", "constexpr", "decltype", "alignas", "alignof", "thread_local", "typeid", "wchar_t",
            // OpenCL C address spaces, qualifiers and types
            "kernel", "global", "local", "constant", "private", "read_only", "write_only", "read_write", "half",
            "uint", "ulong", "ushort", "uchar", "image2d_t", "image3d_t", "sampler_t", "event_t",
            // built-in functions the translation uses or a kernel could shadow
            "exp", "log", "sqrt", "rsqrt", "tanh", "erf", "pow", "sin", "cos", "tan", "floor", "ceil", "fma",
            "fmin", "fmax", "fabs", "fmod", "min", "max", "abs", "llabs", "clamp", "mix", "step", "sign", "dot",
            "cross", "length", "distance", "normalize", "select", "barrier", "vload_half", "vstore_half",
            "convert_int_sat", "convert_long_sat", "get_global_id", "get_global_size", "get_local_id",
            "get_local_size", "get_group_id", "expf", "logf", "sqrtf", "rsqrtf", "tanhf", "erff", "powf", "sinf",
            "cosf", "floorf", "ceilf", "fmaf", "fminf", "fmaxf", "fabsf", "fmodf", "__syncthreads",
            "__float2int_rz", "__float2ll_rz", "__int_as_float", "elattn_float_to_int", "elattn_float_to_long",
            "elattn_half_to_float", "elattn_float_to_half");
    private static final Pattern VECTOR_TYPE =
            Pattern.compile("(char|uchar|short|ushort|int|uint|long|ulong|float|double|half|bool)(2|3|4|8|16)");

    private CNames() {
    }

    /** Whether {@code name} cannot be used as is in OpenCL C or CUDA C++. */
    static boolean reserved(String name) {
        return RESERVED.contains(name) || VECTOR_TYPE.matcher(name).matches() || name.startsWith("__")
                || name.startsWith("elattn_") || name.startsWith("ELATTN_");
    }

    /** The C name for a Java local variable, parameter or device function. */
    static String of(String javaName) {
        return reserved(javaName) ? javaName + "_" : javaName;
    }
}
