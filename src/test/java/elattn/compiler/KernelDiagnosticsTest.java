package elattn.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import javax.tools.Diagnostic;
import javax.tools.JavaFileObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every construct outside the kernel language must fail the build with an error at its own line
 * that says what is wrong and what to write instead. All cases compile in one javac run, one class
 * each; the line of each case's offending construct is marked {@code // ERROR}.
 */
class KernelDiagnosticsTest {
    private static final String HEADER = """
            package t;
            import elattn.kernel.*;
            public class %s {
            """;

    /** A class body with one offending line, and a fragment the error message must contain. */
    record Case(String name, String body, String expected) {
        String source() {
            return HEADER.formatted(name) + body + "}\n";
        }

        long errorLine() {
            String[] lines = source().split("\n");
            for (int i = 0; i < lines.length; i++) {
                if (lines[i].contains("// ERROR")) {
                    return i + 1;
                }
            }
            throw new IllegalStateException(name + " has no // ERROR line");
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private static String parallel(String statements) {
        return """
                public static void k(FloatArray x, FloatArray y, int n) {
                    for (@Parallel int i = 0; i < n; i++) {
                %s
                    }
                }
                """.formatted(statements);
    }

    /** A work-group kernel with a local int tile ta, declarations {@code acc} and {@code tb}, and {@code call}. */
    private static String mma(String acc, String tb, String call) {
        return """
                public static void k(KernelContext ctx, FloatArray y) {
                    int[] ta = ctx.allocateIntLocalArray(128);
                    %s
                    %s
                    %s
                    y.set(ctx.globalIdx, 1f);
                }
                """.formatted(acc, tb, call);
    }

    static List<Case> cases() {
        return List.of(
                new Case("ObjectAllocation", parallel("StringBuilder b = new StringBuilder(); // ERROR"),
                        "object allocation (new StringBuilder) is not allowed"),
                new Case("InstanceMethod", parallel("int h = x.hashCode(); // ERROR"),
                        "call to Object.hashCode is not allowed in kernels: instance methods"),
                new Case("OtherClassStatic", parallel("y.set(i, Float.intBitsToFloat(i)); // ERROR"),
                        "call to Float.intBitsToFloat is not allowed in kernels"),
                new Case("Recursion", parallel("y.set(i, fact(i));") + """
                        static float fact(int n) {
                            return n <= 1 ? 1 : n * fact(n - 1); // ERROR
                        }
                        """, "recursion is not allowed in kernels (fact -> fact)"),
                new Case("MutualRecursion", parallel("y.set(i, a(i));") + """
                        static float a(int n) {
                            return n <= 0 ? 0 : b(n - 1);
                        }
                        static float b(int n) {
                            return a(n); // ERROR
                        }
                        """, "recursion is not allowed in kernels (a -> b -> a)"),
                new Case("Throw", parallel("if (i < 0) throw new IllegalStateException(); // ERROR"),
                        "exceptions (throw, try/catch) are not allowed"),
                new Case("Try", parallel("try { // ERROR\n y.set(i, 1f); } finally { }"),
                        "exceptions (throw, try/catch) are not allowed"),
                new Case("Strings", parallel("String s = \"a\"; // ERROR"), "strings are not allowed"),
                new Case("TwoDimensionalArray", parallel("float[][] m = new float[2][2]; // ERROR"),
                        "2-D arrays are not allowed in kernels; use a 1-D array"),
                new Case("Lambda", parallel("Runnable r = () -> { }; // ERROR"), "lambdas are not allowed"),
                new Case("InstanceField", "float f; static final InstanceField ONE = new InstanceField();\n"
                        + parallel("y.set(i, ONE.f); // ERROR"), "instance field f is not allowed"),
                new Case("EnhancedFor", parallel("for (float v : new float[3]) { } // ERROR"),
                        "enhanced for loops (for (x : xs)) are not allowed"),
                new Case("LabeledBreak", parallel("""
                        inner: for (int k = 0; k < 3; k++) {
                            for (int m = 0; m < 3; m++) {
                                break inner; // ERROR
                            }
                        }"""), "labeled break is not allowed"),
                new Case("LabeledContinue", parallel("""
                        inner: for (int k = 0; k < 3; k++) {
                            for (int m = 0; m < 3; m++) {
                                continue inner; // ERROR
                            }
                        }"""), "labeled continue is not allowed"),
                new Case("Synchronized", parallel("synchronized (x) { } // ERROR"), "synchronized is not allowed"),
                new Case("NonConstantStatic", "static float factor = 2f;\n" + parallel("y.set(i, factor); // ERROR"),
                        "static field factor is not a compile-time constant"),
                new Case("ParameterType", """
                        public static void k(float[] a, FloatArray y) { // ERROR
                            for (@Parallel int i = 0; i < y.getSize(); i++) {
                                y.set(i, 1f);
                            }
                        }
                        """, "parameter a has type float[], which kernels do not take"),
                new Case("LaunchBoundsOnParallel", """
                        @LaunchBounds(maxItems = 64)
                        public static void k(FloatArray y) { // ERROR
                            for (@Parallel int i = 0; i < y.getSize(); i++) {
                                y.set(i, 1f);
                            }
                        }
                        """, "@LaunchBounds is for KernelContext kernels"),
                new Case("LaunchBoundsZero", """
                        @LaunchBounds(maxItems = 0)
                        public static void k(KernelContext ctx, FloatArray y) { // ERROR
                            y.set(ctx.globalIdx, 1f);
                        }
                        """, "@LaunchBounds needs maxItems and minGroups of at least 1, not 0 and 1"),
                new Case("DoubleParameter", """
                        public static void k(FloatArray y, double d) { // ERROR
                            for (@Parallel int i = 0; i < y.getSize(); i++) {
                                y.set(i, 1f);
                            }
                        }
                        """, "parameter d has type double"),
                new Case("PrivateArraySize", parallel("float[] p = new float[n]; // ERROR"),
                        "the size of array p must be a positive compile-time constant"),
                new Case("LocalArraySize", """
                        public static void k(KernelContext ctx, FloatArray y, int n) {
                            float[] t = ctx.allocateFloatLocalArray(n); // ERROR
                            y.set(ctx.globalIdx, 1f);
                        }
                        """, "the size of array t must be a positive compile-time constant"),
                new Case("BoundUsesAssignedLocal", """
                        public static void k(FloatArray y) {
                            int m = y.getSize() / 2;
                            m += 1;
                            for (@Parallel int i = 0; i < m; i++) { // ERROR
                                y.set(i, 1f);
                            }
                        }
                        """, "@Parallel loop bounds may use only the kernel's parameters, constants, array.getSize() and"
                        + " locals of those declared before the loops and never assigned, not m"),
                new Case("BoundLocalReadsAnArray", """
                        public static void k(FloatArray y) {
                            float f = y.get(0); // ERROR
                            int m = (int) f;
                            for (@Parallel int i = 0; i < m; i++) {
                                y.set(i, 1f);
                            }
                        }
                        """, "@Parallel loop bounds may call only array.getSize() and Math.min/max/abs"),
                new Case("LoopForm", """
                        public static void k(FloatArray y) {
                            for (@Parallel int i = 0; i != y.getSize(); i++) { // ERROR
                                y.set(i, 1f);
                            }
                        }
                        """, "unsupported @Parallel loop header; write for (@Parallel int i = START; i < END; i++)"),
                new Case("NonConstantStep", """
                        public static void k(FloatArray y, int s) {
                            for (@Parallel int i = 0; i < y.getSize(); i += s) { // ERROR
                                y.set(i, 1f);
                            }
                        }
                        """, "the step of a @Parallel loop must be a positive compile-time constant"),
                new Case("BreakParallel", parallel("if (i > 3) break; // ERROR"), "break out of a @Parallel loop"),
                new Case("ReturnParallel", parallel("if (i > 3) return; // ERROR"), "return inside a @Parallel loop"),
                new Case("NotStatic", """
                        public void k(FloatArray y) { // ERROR
                            for (@Parallel int i = 0; i < y.getSize(); i++) {
                                y.set(i, 2f);
                            }
                        }
                        """, "kernel k must be a static void method"),
                new Case("ContextAndParallel", """
                        public static void k(KernelContext ctx, FloatArray y) {
                            for (@Parallel int i = 0; i < y.getSize(); i++) { // ERROR
                                y.set(i, 2f);
                            }
                        }
                        """, "a kernel takes either a KernelContext or @Parallel loops, not both"),
                new Case("FourDimensions", """
                        public static void k(FloatArray y, int n) {
                            for (@Parallel int a = 0; a < n; a++) {
                                for (@Parallel int b = 0; b < n; b++) {
                                    for (@Parallel int c = 0; c < n; c++) {
                                        for (@Parallel int d = 0; d < n; d++) { // ERROR
                                            y.set(a + b + c + d, 2f);
                                        }
                                    }
                                }
                            }
                        }
                        """, "at most three @Parallel loops may be nested"),
                new Case("SiblingLoops", """
                        public static void k(FloatArray y, int n) {
                            for (@Parallel int a = 0; a < n; a++) {
                                y.set(a, 1f);
                            }
                            for (@Parallel int b = 0; b < n; b++) { // ERROR
                                y.set(b, 2f);
                            }
                        }
                        """, "must form one nest"),
                new Case("SwitchOnBoxed", parallel("switch (Integer.valueOf(i)) { case 1: y.set(i, 1f); } // ERROR"),
                        "switch in kernels is on int values, not java.lang.Integer"),
                new Case("CharLiteral", parallel("int c = 'a'; // ERROR"), "char values are not allowed"),
                new Case("UnsupportedMath", parallel("y.set(i, Math.round(x.get(i))); // ERROR"),
                        "Math.round is not supported in kernels; supported: exp, log"),
                new Case("KernelCallsKernel", parallel("other(y); // ERROR") + """
                        public static void other(FloatArray y) {
                            for (@Parallel int i = 0; i < y.getSize(); i++) {
                                y.set(i, 2f);
                            }
                        }
                        """, "a kernel cannot call another kernel"),
                new Case("ArrayAlias", parallel("FloatArray z = x; // ERROR"), "local variable z has type"),
                new Case("AssignParallelIndex", parallel("i = i + 1; // ERROR"),
                        "the index of a @Parallel loop cannot be assigned"),
                new Case("MmaLocalAccumulator", mma("float[] acc = ctx.allocateFloatLocalArray(4);", "int[] tb = ctx.allocateIntLocalArray(64);",
                        "ctx.mma16816(acc, 0, ta, 0, 8, tb, 0, 8); // ERROR"),
                        "mma16816: the accumulator fragments acc must be a private float array of 4 floats per 16x8 tile"),
                new Case("MmaAccumulatorSize", mma("float[] acc = new float[6];", "int[] tb = ctx.allocateIntLocalArray(64);",
                        "ctx.mma16816(acc, 0, ta, 0, 8, tb, 0, 8); // ERROR"), "its size 6 is not a multiple of 4"),
                new Case("MmaAccumulatorOffset", mma("float[] acc = new float[8];", "int[] tb = ctx.allocateIntLocalArray(64);",
                        "ctx.mma16816(acc, 2, ta, 0, 8, tb, 0, 8); // ERROR"),
                        "mma16816: the accumulator offset must be a multiple of 4 with its 1 tile(s) within acc (size 8), not 2"),
                new Case("MmaPairTileStride", mma("float[] acc = new float[4];", "int[] tb = ctx.allocateIntLocalArray(64);",
                        "ctx.mma16816(acc, 0, ta, 0, 6, tb, 0, 8); // ERROR"),
                        "mma16816: the row stride of an fp16 pair tile must be a multiple of 4 ints"),
                new Case("MmaTilesPastAccumulator", mma("float[] acc = new float[8];", "int[] tb = ctx.allocateIntLocalArray(64);",
                        "ctx.mmaTiles(acc, 0, ta, 0, 8, 1, tb, 0, 8, 4); // ERROR"),
                        "with its 4 tile(s) within acc (size 8), not 0"),
                new Case("MmaTilesNotConstant", mma("float[] acc = new float[16];", "int[] tb = ctx.allocateIntLocalArray(64);",
                        "ctx.mmaTiles(acc, 0, ta, 0, 8, ctx.localIdx, tb, 0, 8, 1); // ERROR"),
                        "mmaTiles: tilesM and tilesN must be constants >= 1"),
                new Case("AwaitCopiesNotConstant", mma("float[] acc = new float[4];", "int[] tb = ctx.allocateIntLocalArray(64);",
                        "ctx.awaitCopies(ctx.localIdx); // ERROR"),
                        "awaitCopies: the number of copy groups left in flight must be a constant >= 0"),
                new Case("CopyAsyncIntoPrivateArray", mma("float[] acc = new float[4];", "int[] tb = ctx.allocateIntLocalArray(64);",
                        "ctx.copyAsync(acc, 0, y, 0, true); // ERROR"),
                        "copyAsync copies from a FloatArray parameter into a local float array, or from a HalfFloatArray"),
                new Case("MmaPrivateTile", mma("float[] acc = new float[4];", "int[] tb = new int[64];",
                        "ctx.mma16816(acc, 0, ta, 0, 8, tb, 0, 8); // ERROR"),
                        "mma16816: the B tile must be a local int array of fp16 pairs"),
                new Case("MmaPrivateATile", mma("float[] acc = new float[4];", "int[] tb = new int[64];",
                        "ctx.mma16816(acc, 0, tb, 0, 8, ta, 0, 8); // ERROR"),
                        "mma16816: the A tile must be a local int array of fp16 pairs"),
                new Case("ContextInDeviceFunction", """
                        public static void k(KernelContext ctx, FloatArray y) {
                            y.set(ctx.globalIdx, f(ctx));
                        }
                        static float f(KernelContext ctx) { // ERROR
                            return ctx.globalIdx;
                        }
                        """, "device function f takes ctx of type elattn.kernel.KernelContext"));
    }

    @TempDir
    static Path out;
    private static InProcessCompiler.Result result;

    @BeforeAll
    static void compileAll() throws IOException {
        Map<String, String> sources = new LinkedHashMap<>();
        cases().forEach(c -> sources.put("t." + c.name(), c.source()));
        result = InProcessCompiler.compile(sources, out);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void reportsTheConstructAtItsLine(Case c) {
        List<Diagnostic<? extends JavaFileObject>> mine = result.errors().stream()
                .filter(d -> d.getSource() != null && d.getSource().getName().endsWith("/t/" + c.name() + ".java"))
                .toList();
        String all = mine.stream().map(d -> d.getLineNumber() + ": " + d.getMessage(null)).collect(Collectors.joining("\n"));
        assertFalse(mine.isEmpty(), "no error for " + c.name());
        assertTrue(mine.stream().anyMatch(d -> d.getLineNumber() == c.errorLine() && d.getMessage(null).contains(c.expected())),
                "expected at line " + c.errorLine() + ": " + c.expected() + "\ngot:\n" + all);
        assertTrue(mine.stream().allMatch(d -> d.getLineNumber() == c.errorLine()), "errors elsewhere:\n" + all);
        assertFalse(Files.exists(out.resolve(KernelNames.RESOURCE_ROOT + "t/" + c.name() + "/k.cl")),
                "no source may be written for a kernel with errors");
    }

    @Test
    void validKernelsCompileAndDumpTheirSources(@TempDir Path dir) throws IOException {
        String source = HEADER.formatted("Good") + parallel("y.set(i, x.get(i) * 2f);") + "}\n";
        Path dump = dir.resolve("dump");
        InProcessCompiler.Result ok = InProcessCompiler.compile(Map.of("t.Good", source), dir.resolve("classes"),
                "-A" + KernelProcessor.DUMP_OPTION + "=" + dump);
        assertTrue(ok.success(), ok.diagnostics().toString());
        for (String suffix : List.of(".cl", ".cu")) {
            Path resource = dir.resolve("classes/" + KernelNames.RESOURCE_ROOT + "t/Good/k" + suffix);
            assertEquals(Files.readString(resource), Files.readString(dump.resolve("t/Good/k" + suffix)));
        }
        assertTrue(Files.exists(dir.resolve("classes/t/Good$$Jvm.class")));
    }
}
