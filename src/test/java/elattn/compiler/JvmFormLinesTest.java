package elattn.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import elattn.kernel.ArrayIndexException;
import elattn.kernel.FloatArray;
import elattn.runtime.JvmKernel;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Java form of a {@code @Parallel} kernel ({@code $$Jvm}) keeps the kernel's source lines, so
 * that a failure in it (the jvm backend's index out of range) names the kernel's own line: for a
 * class laid out as usual, with a loop header over three lines and a device function, and for a
 * cramped one whose kernel starts on line 2 (the generated header then shares line 1). A class on
 * one line cannot keep its lines, but its Java form still compiles and runs.
 */
class JvmFormLinesTest {
    private static final String USUAL = """
            package t;

            import elattn.kernel.FloatArray;
            import elattn.kernel.Parallel;

            /** A kernel. */
            public final class C {
                private static final int STEP = 1;

                public static void k(FloatArray x, FloatArray y) {
                    float scale = 2f;
                    for (@Parallel int i = 0;
                            i < y.getSize();
                            i += STEP) {
                        y.set(i, scale * at(x, i));
                    }
                }

                private static float at(FloatArray x, int i) {
                    return x.get(i + 1); // line 20
                }
            }
            """;
    private static final String CRAMPED = """
            package t; import elattn.kernel.FloatArray; import elattn.kernel.Parallel;
            public final class C { public static void k(FloatArray x, FloatArray y) {
                for (@Parallel int i = 0; i < y.getSize(); i++) {
                    y.set(i, x.get(i + 1)); // line 4
                } } }
            """;
    private static final String ONE_LINE = "package t; import elattn.kernel.FloatArray; import elattn.kernel.Parallel;"
            + " public final class C { public static void k(FloatArray x, FloatArray y) { for (@Parallel int i = 0;"
            + " i < y.getSize(); i++) { y.set(i, x.get(i + 1)); } } }\n";

    @TempDir
    Path out;

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2})
    void failureNamesTheKernelsLine(int layout) throws Exception {
        String source = new String[] {USUAL, CRAMPED, ONE_LINE}[layout];
        int line = new int[] {20, 4, -1}[layout];
        JvmKernel kernel = compile(source);
        FloatArray x = new FloatArray(8);
        Object[] args = {x, new FloatArray(8)};
        assertEquals(8, kernel.range(args)[0]);
        kernel.run(args, 0, 7);
        ArrayIndexException e = assertThrows(ArrayIndexException.class, () -> kernel.run(args, 7, 8));
        assertEquals(8, e.index());
        StackTraceElement frame = Arrays.stream(e.getStackTrace()).filter(f -> f.getClassName().equals("t.C$$Jvm"))
                .findFirst().orElseThrow();
        if (line > 0) {
            assertEquals(line, frame.getLineNumber(), frame.toString());
        }
    }

    private JvmKernel compile(String source) throws IOException, ReflectiveOperationException {
        InProcessCompiler.Result result = InProcessCompiler.compile(Map.of("t.C", source), out);
        assertTrue(result.success(), result.diagnostics().toString());
        try (URLClassLoader loader = new URLClassLoader(new URL[] {out.toUri().toURL()}, getClass().getClassLoader())) {
            return (JvmKernel) loader.loadClass("t.C$$Jvm").getField("k").get(null);
        }
    }
}
