package elattn.compiler;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The checked mode of generated kernels: the contract between the translator, which writes it into
 * every kernel's C, and the backends, which turn it on and read what it found. A GPU does not stop at
 * an index out of range: it reads another buffer's data or faults far from the cause. So every
 * element access the translator emits goes through {@code ELATTN_INDEX(index, length, array, line)}
 * (the array's id in this translation unit, the Java source line of the access). Built plainly the
 * macro is the bare {@code (index)}, so the code is exactly the unchecked kernel; built with
 * {@code -D}{@value #DEFINE}, an index outside {@code [0, length)} records the first such access of
 * the launch window in the <em>fault record</em> and is replaced by 0, so the kernel runs to its end
 * and the host can name the kernel, array, index, length and line. The record is a small
 * {@code int} buffer passed as two extra trailing arguments (the record, then the launch's number),
 * which device functions pass on; its layout is the slots below.
 *
 * <p>Not checked: what the tensor-core and copy intrinsics read and write ({@code mma16816},
 * {@code mmaTiles}, {@code mmaTilesTransposed}: whole tiles by {@code ldmatrix} or vector loads;
 * {@code copyAsync}: 16 bytes by {@code cp.async}). On CUDA, {@code compute-sanitizer} covers them.
 *
 * <p>Which array an id is: {@link #marker} writes one comment line listing the arrays' Java names,
 * the id being the position ({@link #arrays} reads it back): the kernel's array parameters first, in
 * order, then every other array as the translation meets it, those of device functions as
 * {@code function.name}.
 */
public final class IndexChecks {
    /** The C preprocessor symbol that turns the checks on (OpenCL build option, NVRTC option: {@code -D}). */
    public static final String DEFINE = "ELATTN_CHECKED";
    /** Fault record slot: 0 until an index was out of range, then 1. */
    public static final int FLAG = 0;
    /** Fault record slot: the number of the launch that faulted (the kernel's trailing argument). */
    public static final int LAUNCH = 1;
    /** Fault record slot: the array's id ({@link ArrayNames#names()}). */
    public static final int ARRAY = 2;
    /** Fault record slot: the Java source line of the access. */
    public static final int LINE = 3;
    /** Fault record slot: the index. */
    public static final int INDEX = 4;
    /** Fault record slot: the array's length. */
    public static final int LENGTH = 5;
    /** Ints in the fault record. */
    public static final int RECORD_INTS = 6;

    private static final String PREFIX = "// elattn: index checks in ";
    private static final Pattern MARKER = Pattern.compile("^" + Pattern.quote(PREFIX) + "(\\S+), arrays:(.*)$",
            Pattern.MULTILINE);
    private static final String CALL = "ELATTN_INDEX(";

    private IndexChecks() {
    }

    /** The arrays a kernel's checks name, and its Java source file. */
    public record ArrayNames(String file, List<String> names) {
        /** The Java name of array {@code id}, or {@code "#id"} if the source lists no such array. */
        public String name(int id) {
            return id >= 0 && id < names.size() ? names.get(id) : "#" + id;
        }
    }

    /** One checked access in a kernel's C: the array's id, its length as written (a C name or a number), the line. */
    public record Access(int array, String length, int line) {
        /** The constant length of a local or private array; -1 for an array parameter (its length is an argument). */
        public long constantLength() {
            return isNumber(length) ? Long.parseLong(length) : -1;
        }
    }

    /** The arrays listed by a generated source's marker; none (and file "?") if it has none. */
    public static ArrayNames arrays(String source) {
        Matcher m = MARKER.matcher(source);
        if (!m.find()) {
            return new ArrayNames("?", List.of());
        }
        String names = m.group(2).strip();
        return new ArrayNames(m.group(1), names.isEmpty() ? List.of() : List.of(names.split(" ")));
    }

    /**
     * Every checked access of a generated source, in source order: what a backend that runs the
     * kernel's Java form needs to name the array of an index out of range at a line.
     */
    public static List<Access> accesses(String source) {
        List<Access> out = new ArrayList<>();
        for (int at = source.indexOf(CALL); at >= 0; at = source.indexOf(CALL, at + 1)) {
            List<String> args = topLevelArguments(source, at + CALL.length());
            if (args.size() == 4 && isNumber(args.get(2)) && isNumber(args.get(3))) {
                out.add(new Access(Integer.parseInt(args.get(2)), args.get(1), Integer.parseInt(args.get(3))));
            }
        }
        return out;
    }

    /** The comma-separated arguments of the call whose parenthesis opens before {@code from}, stripped. */
    private static List<String> topLevelArguments(String source, int from) {
        List<String> args = new ArrayList<>();
        int depth = 0;
        int start = from;
        for (int i = from; i < source.length(); i++) {
            char c = source.charAt(i);
            if (c == '(' || c == '[') {
                depth++;
            } else if ((c == ')' || c == ']') && depth > 0) {
                depth--;
            } else if (c == ')' || c == ',' && depth == 0) {
                args.add(source.substring(start, i).strip());
                start = i + 1;
                if (c == ')') {
                    return args;
                }
            } else if (c == '\n') {
                break;
            }
        }
        return List.of();
    }

    private static boolean isNumber(String s) {
        return !s.isEmpty() && s.chars().allMatch(Character::isDigit);
    }

    /** The marker line naming the arrays (Java names, by id) of a kernel from Java file {@code file}. */
    static String marker(String file, List<String> arrays) {
        return PREFIX + file + ", arrays:" + (arrays.isEmpty() ? "" : " " + String.join(" ", arrays));
    }

    /** {@code index} of an array of {@code length} elements, checked in a checked build. */
    static String index(String index, String length, int array, long line) {
        return CALL + index + ", " + length + ", " + array + ", " + line + ")";
    }

    /** The fault record's parameters after a function's other parameters ({@code none}: it has no others). */
    static String parameters(boolean none) {
        return none ? "ELATTN_FAULT_ONLY_PARAMS" : " ELATTN_FAULT_PARAMS";
    }

    /** The fault record's arguments after a call's other arguments ({@code none}: it has no others). */
    static String arguments(boolean none) {
        return none ? "ELATTN_FAULT_ONLY_ARGS" : " ELATTN_FAULT_ARGS";
    }

    /** The macros every translation unit defines before its functions, per the contract above. */
    static String prelude(Dialect d) {
        String record = d.pointer("int");
        String inline = d == Dialect.OPENCL ? "static inline" : "__device__ __forceinline__";
        String unsigned = d.unsigned(false);
        String claim = d == Dialect.OPENCL ? "atomic_cmpxchg(fault, 0, 1)" : "atomicCAS(fault, 0, 1)";
        return """
                // Index checks (checked mode: built with -D%1$s). Each element access goes through ELATTN_INDEX;
                // the first index out of range is recorded (flag, launch, array, line, index, length) and replaced
                // by 0. Built without it, ELATTN_INDEX is the bare index and the fault parameters are not there.
                #ifdef %1$s
                %2$s int elattn_checked_index(int index, int length, int array, int line, %3$s fault, int launch) {
                    if ((%4$s) index < (%4$s) length) {
                        return index;
                    }
                    if (%5$s == 0) {
                        fault[%6$d] = launch;
                        fault[%7$d] = array;
                        fault[%8$d] = line;
                        fault[%9$d] = index;
                        fault[%10$d] = length;
                    }
                    return 0;
                }
                #define ELATTN_INDEX(index, length, array, line) \\
                    elattn_checked_index(index, length, array, line, elattn_fault, elattn_launch)
                #define ELATTN_FAULT_PARAMS , %3$s elattn_fault, int elattn_launch
                #define ELATTN_FAULT_ONLY_PARAMS %3$s elattn_fault, int elattn_launch
                #define ELATTN_FAULT_ARGS , elattn_fault, elattn_launch
                #define ELATTN_FAULT_ONLY_ARGS elattn_fault, elattn_launch
                #else
                #define ELATTN_INDEX(index, length, array, line) (index)
                #define ELATTN_FAULT_PARAMS
                #define ELATTN_FAULT_ONLY_PARAMS
                #define ELATTN_FAULT_ARGS
                #define ELATTN_FAULT_ONLY_ARGS
                #endif

                """.formatted(DEFINE, inline, record, unsigned, claim, LAUNCH, ARRAY, LINE, INDEX, LENGTH);
    }
}
