package elattn.compiler;

import elattn.kernel.KernelContext;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/** Compiles Java sources in-process with the kernel processor, as the build does, for tests. */
final class InProcessCompiler {
    private InProcessCompiler() {
    }

    /** The outcome: whether javac succeeded and every diagnostic. */
    record Result(boolean success, List<Diagnostic<? extends JavaFileObject>> diagnostics) {
        List<Diagnostic<? extends JavaFileObject>> errors() {
            return diagnostics.stream().filter(d -> d.getKind() == Diagnostic.Kind.ERROR).toList();
        }
    }

    /**
     * Compiles {@code sources} (binary class name to source) into {@code out} (classes, resources
     * and generated sources) with {@code options} added (e.g. {@code -Aelattn.dump=DIR}).
     */
    static Result compile(Map<String, String> sources, Path out, String... options) throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, null, null)) {
            List<JavaFileObject> units = new ArrayList<>();
            sources.forEach((name, code) -> units.add(new Source(name, code)));
            List<String> args = new ArrayList<>(List.of("-classpath", classpath(), "-d", out.toString(),
                    "-s", out.toString(), "-proc:full"));
            args.addAll(List.of(options));
            JavaCompiler.CompilationTask task = javac.getTask(null, files, diagnostics, args, null, units);
            task.setProcessors(List.of(new KernelProcessor()));
            boolean ok = task.call();
            return new Result(ok, diagnostics.getDiagnostics());
        }
    }

    /** The main classes (kernel language and runtime contracts), which kernels and $$Jvm classes need. */
    private static String classpath() {
        try {
            return Path.of(KernelContext.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final class Source extends SimpleJavaFileObject {
        private final String code;

        Source(String binaryName, String code) {
            super(URI.create("string:///" + binaryName.replace('.', '/') + Kind.SOURCE.extension), Kind.SOURCE);
            this.code = code;
        }

        @Override
        public CharSequence getCharContent(boolean ignoreEncodingErrors) {
            return code;
        }
    }
}
