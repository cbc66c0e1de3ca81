package elattn.compiler;

import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.MethodTree;
import com.sun.source.tree.Tree;
import com.sun.source.util.JavacTask;
import com.sun.source.util.TaskEvent;
import com.sun.source.util.TaskListener;
import com.sun.source.util.TreePath;
import com.sun.source.util.Trees;
import elattn.kernel.Parallel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import javax.annotation.processing.AbstractProcessor;
import javax.annotation.processing.ProcessingEnvironment;
import javax.annotation.processing.RoundEnvironment;
import javax.annotation.processing.SupportedAnnotationTypes;
import javax.annotation.processing.SupportedOptions;
import javax.lang.model.SourceVersion;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.TypeElement;
import javax.lang.model.util.ElementFilter;
import javax.tools.Diagnostic;
import javax.tools.FileObject;
import javax.tools.StandardLocation;

/**
 * The kernel compiler: an annotation processor (javac only) that finds every kernel of the
 * compilation and emits what the runtime loads for it (see {@code elattn.runtime.Kernel}):
 * <ul>
 * <li>while annotations are processed, the Java form of the {@link Parallel @Parallel} kernels,
 * class {@code <Owner>$$Jvm} (generated then, because sources generated after the processing rounds
 * are not compiled; see {@link JvmSourceGenerator});
 * <li>once javac has attributed and flow-checked a class (the {@code ANALYZE} task event, when every
 * expression's type is known), each kernel's OpenCL C and CUDA C, as the class-output resources
 * {@code META-INF/elattn/kernels/<binary class name with / for .>/<method>.cl} and {@code .cu},
 * or errors at the offending source lines for whatever the kernel language does not allow.
 * </ul>
 * A kernel is a static method that takes a {@code KernelContext} (in any position) or that has a
 * {@code @Parallel} loop; the language is described in docs/kernel-language.md.
 *
 * <p>Option {@code -Aelattn.dump=DIR} also writes every generated C source under {@code DIR}, with the
 * same relative paths as the resources.
 */
@SupportedAnnotationTypes("*")
@SupportedOptions(KernelProcessor.DUMP_OPTION)
public class KernelProcessor extends AbstractProcessor {
    /** Processor option naming a folder to write the generated C sources to. */
    public static final String DUMP_OPTION = "elattn.dump";
    private static final String RESOURCE_ROOT = KernelNames.RESOURCE_ROOT;
    private static final String JVM_SUFFIX = KernelNames.JVM_CLASS_SUFFIX;

    private Trees trees;
    private Path dumpDir;

    @Override
    public SourceVersion getSupportedSourceVersion() {
        return SourceVersion.latestSupported();
    }

    @Override
    public synchronized void init(ProcessingEnvironment env) {
        super.init(env);
        trees = Trees.instance(env);
        String dump = env.getOptions().get(DUMP_OPTION);
        dumpDir = dump == null || dump.isBlank() ? null : Path.of(dump);
        JavacTask.instance(env).addTaskListener(new TaskListener() {
            @Override
            public void finished(TaskEvent e) {
                if (e.getKind() == TaskEvent.Kind.ANALYZE && e.getTypeElement() != null) {
                    translateClass(e.getTypeElement(), e.getCompilationUnit());
                }
            }
        });
    }

    @Override
    public boolean process(Set<? extends TypeElement> annotations, RoundEnvironment roundEnv) {
        for (Element root : roundEnv.getRootElements()) {
            if (root instanceof TypeElement type && !type.getQualifiedName().toString().endsWith(JVM_SUFFIX)) {
                for (TypeElement t : withNestedTypes(type)) {
                    generateJvmClass(t);
                }
            }
        }
        return false;
    }

    /** Writes {@code <type>$$Jvm} if {@code type} has well-formed {@code @Parallel} kernels. */
    private void generateJvmClass(TypeElement type) {
        List<JvmSourceGenerator.Kernel> kernels = new ArrayList<>();
        for (ExecutableElement m : ElementFilter.methodsIn(type.getEnclosedElements())) {
            MethodTree tree = trees.getTree(m);
            if (tree == null || tree.getBody() == null || !CTranslator.isKernelMethod(trees, m)
                    || !m.getModifiers().contains(Modifier.STATIC)) {
                continue; // not a kernel, or an invalid one: the ANALYZE phase reports why
            }
            var loops = ParallelLoop.find(tree.getBody());
            List<ParallelLoop> parsed = loops.stream().map(ParallelLoop::parse).toList();
            if (!loops.isEmpty() && !parsed.contains(null) && ParallelLoop.firstOutsideNest(loops) < 0) {
                kernels.add(new JvmSourceGenerator.Kernel(tree, kernelName(type, m), parsed));
            }
        }
        if (kernels.isEmpty()) {
            return;
        }
        TreePath path = trees.getPath(type);
        String binaryName = processingEnv.getElementUtils().getBinaryName(type) + JVM_SUFFIX;
        String source = new JvmSourceGenerator(trees, path.getCompilationUnit()).generate(type, binaryName, kernels);
        try (Writer w = processingEnv.getFiler().createSourceFile(binaryName, type).openWriter()) {
            w.write(source);
        } catch (IOException e) {
            processingEnv.getMessager().printMessage(Diagnostic.Kind.ERROR,
                    "cannot write " + binaryName + ": " + e.getMessage(), type);
        }
    }

    /** Translates the kernels of an attributed top-level class and its nested classes. */
    private void translateClass(TypeElement top, CompilationUnitTree unit) {
        if (top.getQualifiedName().toString().endsWith(JVM_SUFFIX)) {
            return;
        }
        for (TypeElement type : withNestedTypes(top)) {
            List<ExecutableElement> kernels = ElementFilter.methodsIn(type.getEnclosedElements()).stream()
                    .filter(m -> trees.getTree(m) != null && trees.getTree(m).getBody() != null
                            && CTranslator.isKernelMethod(trees, m))
                    .toList();
            for (ExecutableElement m : kernels) {
                MethodTree tree = trees.getTree(m);
                try {
                    translateKernel(type, m, unit);
                } catch (RuntimeException e) {
                    error(tree, unit, "internal error of the kernel compiler translating " + m.getSimpleName() + ": " + e
                            + " at " + (e.getStackTrace().length > 0 ? e.getStackTrace()[0] : "?"));
                }
            }
        }
    }

    private void translateKernel(TypeElement type, ExecutableElement m, CompilationUnitTree unit) {
        String source;
        try {
            source = unit.getSourceFile().getCharContent(true).toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> outputs = new ArrayList<>();
        for (Dialect d : Dialect.values()) {
            CTranslator t = new CTranslator(trees, unit, type, m, d, source);
            String code = t.translate();
            if (t.erroneous()) {
                return;
            }
            if (!t.problems().isEmpty()) {
                t.problems().forEach(p -> error(p.tree(), unit, p.message()));
                return;
            }
            outputs.add(code);
        }
        String base = RESOURCE_ROOT + processingEnv.getElementUtils().getBinaryName(type).toString().replace('.', '/')
                + "/" + kernelName(type, m);
        for (Dialect d : Dialect.values()) {
            write(base + d.suffix, outputs.get(d.ordinal()), type);
        }
    }

    /** {@link KernelNames#kernel} of a kernel method, from its declaration. */
    private String kernelName(TypeElement type, ExecutableElement m) {
        String name = m.getSimpleName().toString();
        long sameName = ElementFilter.methodsIn(type.getEnclosedElements()).stream()
                .filter(x -> x.getSimpleName().contentEquals(name)).count();
        List<String> types = m.getParameters().stream().map(p -> {
            String erased = processingEnv.getTypeUtils().erasure(p.asType()).toString();
            return erased.substring(erased.lastIndexOf('.') + 1);
        }).toList();
        return KernelNames.kernel(name, sameName > 1, types);
    }

    private void write(String resource, String code, TypeElement origin) {
        try {
            FileObject file = processingEnv.getFiler().createResource(StandardLocation.CLASS_OUTPUT, "", resource, origin);
            try (Writer w = file.openWriter()) {
                w.write(code);
            }
            if (dumpDir != null) {
                Path dump = dumpDir.resolve(resource.substring(RESOURCE_ROOT.length()));
                Files.createDirectories(dump.getParent());
                Files.writeString(dump, code, StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            processingEnv.getMessager().printMessage(Diagnostic.Kind.ERROR,
                    "cannot write kernel source " + resource + ": " + e.getMessage(), origin);
        }
    }

    private void error(Tree tree, CompilationUnitTree unit, String message) {
        trees.printMessage(Diagnostic.Kind.ERROR, message, tree, unit);
    }

    private static List<TypeElement> withNestedTypes(TypeElement type) {
        List<TypeElement> all = new ArrayList<>(List.of(type));
        for (Element e : type.getEnclosedElements()) {
            if (e instanceof TypeElement nested && (e.getKind() == ElementKind.CLASS || e.getKind() == ElementKind.INTERFACE
                    || e.getKind() == ElementKind.ENUM || e.getKind() == ElementKind.RECORD)) {
                all.addAll(withNestedTypes(nested));
            }
        }
        return all;
    }
}
