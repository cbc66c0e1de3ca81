package elattn.compiler;

import com.sun.source.tree.ArrayAccessTree;
import com.sun.source.tree.AssignmentTree;
import com.sun.source.tree.BinaryTree;
import com.sun.source.tree.BlockTree;
import com.sun.source.tree.BreakTree;
import com.sun.source.tree.CaseLabelTree;
import com.sun.source.tree.CaseTree;
import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.CompoundAssignmentTree;
import com.sun.source.tree.ConditionalExpressionTree;
import com.sun.source.tree.ConstantCaseLabelTree;
import com.sun.source.tree.ContinueTree;
import com.sun.source.tree.DefaultCaseLabelTree;
import com.sun.source.tree.DoWhileLoopTree;
import com.sun.source.tree.ExpressionStatementTree;
import com.sun.source.tree.ExpressionTree;
import com.sun.source.tree.ForLoopTree;
import com.sun.source.tree.IdentifierTree;
import com.sun.source.tree.IfTree;
import com.sun.source.tree.LabeledStatementTree;
import com.sun.source.tree.LiteralTree;
import com.sun.source.tree.MemberSelectTree;
import com.sun.source.tree.MethodInvocationTree;
import com.sun.source.tree.MethodTree;
import com.sun.source.tree.NewArrayTree;
import com.sun.source.tree.ParenthesizedTree;
import com.sun.source.tree.PatternCaseLabelTree;
import com.sun.source.tree.ReturnTree;
import com.sun.source.tree.StatementTree;
import com.sun.source.tree.SwitchTree;
import com.sun.source.tree.Tree;
import com.sun.source.tree.TypeCastTree;
import com.sun.source.tree.UnaryTree;
import com.sun.source.tree.VariableTree;
import com.sun.source.tree.WhileLoopTree;
import com.sun.source.util.TreePath;
import com.sun.source.util.TreePathScanner;
import com.sun.source.util.TreeScanner;
import com.sun.source.util.Trees;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.AnnotationValue;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.TypeElement;
import javax.lang.model.element.VariableElement;
import javax.lang.model.type.ArrayType;
import javax.lang.model.type.TypeKind;
import javax.lang.model.type.TypeMirror;

/**
 * Translates one kernel method, with the device functions it calls, into one self-contained OpenCL C
 * or CUDA C translation unit following the device C ABI of {@code elattn.runtime.Kernel}. Works on
 * attributed trees (every expression's type is known). Whatever the kernel language does not allow
 * becomes a {@link Problem} at the offending tree; the output is only meaningful when there is none.
 */
final class CTranslator {
    /** A construct the kernel language does not allow, with what to do instead. */
    record Problem(Tree tree, String message) {
    }

    private static final String KERNEL = "elattn.kernel.";
    private static final String KERNEL_PARAMETERS = "kernels take FloatArray, IntArray, HalfFloatArray, int, long and"
            + " float parameters, and optionally one KernelContext";
    private static final String ALLOWED_CALLS = "a kernel may call static methods of its own class (device functions),"
            + " KernelMath and Math functions, array get/set/getSize and KernelContext methods";
    /** Math functions by Java name -> OpenCL C float built-in (CUDA adds the f suffix). */
    private static final Map<String, String> FLOAT_FUNCTIONS = Map.ofEntries(
            Map.entry("exp", "exp"), Map.entry("log", "log"), Map.entry("sqrt", "sqrt"), Map.entry("rsqrt", "rsqrt"),
            Map.entry("tanh", "tanh"), Map.entry("erf", "erf"), Map.entry("pow", "pow"), Map.entry("sin", "sin"),
            Map.entry("cos", "cos"), Map.entry("floor", "floor"), Map.entry("ceil", "ceil"), Map.entry("fma", "fma"),
            Map.entry("min", "fmin"), Map.entry("max", "fmax"), Map.entry("abs", "fabs"), Map.entry("tan", "tan"),
            Map.entry("asin", "asin"), Map.entry("acos", "acos"), Map.entry("atan", "atan"), Map.entry("atan2", "atan2"),
            Map.entry("log2", "log2"));
    /** Float functions without a built-in of Java's meaning: helpers of {@link Dialect#prelude}. */
    private static final Map<String, String> HELPER_FUNCTIONS = Map.of("signum", "elattn_signum", "clamp",
            "elattn_clamp", "fract", "elattn_fract");
    private static final Set<String> INTEGER_FUNCTIONS = Set.of("min", "max", "abs");
    /** Where a device function's fault record parameters or arguments go ({@link #withFaultParameters}). */
    private static final Pattern FAULT = Pattern.compile("\u0001([PA])([01])([^\u0001]+)\u0001");
    private static final Map<String, String> CONTEXT_FIELDS = Map.ofEntries(
            Map.entry("globalIdx", "globalId 0"), Map.entry("globalIdy", "globalId 1"), Map.entry("globalIdz", "globalId 2"),
            Map.entry("localIdx", "localId 0"), Map.entry("localIdy", "localId 1"), Map.entry("localIdz", "localId 2"),
            Map.entry("groupIdx", "groupId 0"), Map.entry("groupIdy", "groupId 1"), Map.entry("groupIdz", "groupId 2"),
            Map.entry("globalGroupSizeX", "globalSize 0"), Map.entry("globalGroupSizeY", "globalSize 1"),
            Map.entry("globalGroupSizeZ", "globalSize 2"), Map.entry("localGroupSizeX", "localSize 0"),
            Map.entry("localGroupSizeY", "localSize 1"), Map.entry("localGroupSizeZ", "localSize 2"));

    private enum VarKind { SCALAR, NATIVE_ARRAY, LOCAL_ARRAY, PRIVATE_ARRAY, CONTEXT }

    /**
     * What a Java variable is in C: {@code element} is float, int or half for arrays, {@code id} an
     * array's number in the index checks ({@link IndexChecks}), -1 for the others.
     */
    private record Var(VarKind kind, String name, String element, long size, int id) {
        Var(VarKind kind, String name) {
            this(kind, name, null, 0, -1);
        }

        String length() {
            return kind == VarKind.NATIVE_ARRAY ? name + "_len" : Long.toString(size);
        }
    }

    private record Call(ExecutableElement callee, Tree site) {
    }

    private final Trees trees;
    private final CompilationUnitTree unit;
    private final TypeElement owner;
    private final ExecutableElement kernel;
    private final Dialect d;
    private final List<Problem> problems = new ArrayList<>();
    private final String[] sourceLines;
    private final Map<Tree, TreePath> paths = new IdentityHashMap<>();
    private final Map<ExecutableElement, List<Call>> calls = new LinkedHashMap<>();
    private final Map<ExecutableElement, String> functionNames = new LinkedHashMap<>();
    private final Map<String, ExecutableElement> functionsByName = new HashMap<>();
    /** The Java names of the arrays the index checks name, by id ({@link IndexChecks#marker}). */
    private final List<String> checkedArrays = new ArrayList<>();
    private boolean usesHalf;
    /** Whether the kernel calls KernelContext.mma16816, mmaRow or mmaCol (CUDA only, see {@link Dialect#mmaPrelude}). */
    private boolean usesMma;
    /** Whether the kernel or its device functions call KernelMath.packHalf2. */
    private boolean usesPackHalf2;
    /**
     * The functions with index checks of their own, then also those calling one (see
     * {@link #withFaultParameters}): only they take the fault record.
     */
    private final Set<ExecutableElement> checkedFunctions = new HashSet<>();
    /** Whether javac found errors in the code, reported already; then there is nothing to translate. */
    private boolean erroneous;

    // State of the function being translated.
    private ExecutableElement function;
    private final Map<Element, Var> vars = new HashMap<>();
    private final Map<ForLoopTree, ParallelLoop> parallelLoops = new IdentityHashMap<>();
    private final Map<ForLoopTree, Integer> dimensions = new IdentityHashMap<>();
    private final Set<Element> parallelIndices = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    /**
     * Enclosing loops (and switches, as false: a break leaves them) of the statement being translated,
     * innermost last: true for @Parallel loops.
     */
    private final Deque<Boolean> loops = new ArrayDeque<>();
    private final List<Dialect.LocalArray> localArrays = new ArrayList<>();
    private StringBuilder out;
    private int indent;
    private long lastCommentedLine;

    CTranslator(Trees trees, CompilationUnitTree unit, TypeElement owner, ExecutableElement kernel, Dialect dialect,
            String source) {
        this.trees = trees;
        this.unit = unit;
        this.owner = owner;
        this.kernel = kernel;
        this.d = dialect;
        this.sourceLines = source.split("\n", -1);
    }

    /** The constructs the kernel language does not allow, none if the code has Java errors of its own. */
    List<Problem> problems() {
        return erroneous ? List.of() : problems;
    }

    /** Whether the code has Java errors (reported by javac), so its translation is void. */
    boolean erroneous() {
        return erroneous;
    }

    /** The translation unit; check {@link #problems()} before using it. */
    String translate() {
        functionNames.put(kernel, kernel.getSimpleName().toString());
        String kernelCode = translateFunction(kernel, true);
        StringBuilder deviceCode = new StringBuilder();
        StringBuilder prototypes = new StringBuilder();
        Deque<ExecutableElement> pending = new ArrayDeque<>(calledFunctions(kernel));
        List<ExecutableElement> done = new ArrayList<>(List.of(kernel));
        while (!pending.isEmpty()) {
            ExecutableElement f = pending.pop();
            if (done.contains(f)) {
                continue;
            }
            done.add(f);
            String code = translateFunction(f, false);
            prototypes.append(code, 0, code.indexOf(" {\n")).append(";\n");
            deviceCode.append(code).append('\n');
            pending.addAll(calledFunctions(f));
        }
        checkRecursion(kernel, new ArrayList<>());
        addCallersOfCheckedFunctions();
        String language = d == Dialect.OPENCL ? "OpenCL C" : "CUDA C";
        String kernelName = owner.getQualifiedName() + "." + kernel.getSimpleName();
        return "// " + language + " for kernel " + kernelName
                + ", generated by elattn.compiler.KernelProcessor from " + fileName() + "; do not edit.\n"
                + IndexChecks.marker(fileName(), checkedArrays) + "\n\n"
                + (usesMma ? d.mmaPrelude(kernelName) : "")
                + d.prelude(usesHalf, usesPackHalf2)
                + IndexChecks.prelude(d)
                + withFaultParameters((prototypes.isEmpty() ? "" : prototypes + "\n") + deviceCode + kernelCode);
    }

    private void addCallersOfCheckedFunctions() {
        for (boolean grew = true; grew; ) {
            grew = false;
            for (Map.Entry<ExecutableElement, List<Call>> e : calls.entrySet()) {
                if (!checkedFunctions.contains(e.getKey())
                        && e.getValue().stream().anyMatch(c -> checkedFunctions.contains(c.callee()))) {
                    grew = checkedFunctions.add(e.getKey());
                }
            }
        }
    }

    /**
     * A device function's fault record parameters and arguments, which are known only once every
     * function is translated: {@link #FAULT} marks where they go ({@code P} parameters, {@code A}
     * arguments; {@code 1} with no others), naming the function.
     */
    private String withFaultParameters(String code) {
        Set<String> checked = new HashSet<>();
        checkedFunctions.forEach(f -> checked.add(functionNames.get(f)));
        return FAULT.matcher(code).replaceAll(m -> !checked.contains(m.group(3)) ? ""
                : Matcher.quoteReplacement(m.group(1).equals("P") ? IndexChecks.parameters(m.group(2).equals("1"))
                : IndexChecks.arguments(m.group(2).equals("1"))));
    }

    private static String faultMark(String kind, boolean none, String function) {
        return "\u0001" + kind + (none ? "1" : "0") + function + "\u0001";
    }

    private List<ExecutableElement> calledFunctions(ExecutableElement f) {
        return calls.getOrDefault(f, List.of()).stream().map(Call::callee).toList();
    }

    private String fileName() {
        String name = unit.getSourceFile().getName();
        return name.substring(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
    }

    // ---------------------------------------------------------------- functions

    private String translateFunction(ExecutableElement f, boolean isKernel) {
        function = f;
        vars.clear();
        loops.clear();
        localArrays.clear();
        lastCommentedLine = -1;
        calls.putIfAbsent(f, new ArrayList<>());
        TreePath methodPath = trees.getPath(f);
        MethodTree method = (MethodTree) methodPath.getLeaf();
        new TreePathScanner<Void, Void>() {
            @Override
            public Void scan(Tree tree, Void unused) {
                if (tree != null) {
                    TreePath p = new TreePath(getCurrentPath(), tree);
                    paths.put(tree, p);
                    TypeMirror t = tree instanceof ExpressionTree ? trees.getTypeMirror(p) : null;
                    erroneous |= t != null && t.getKind() == TypeKind.ERROR;
                }
                return super.scan(tree, unused);
            }
        }.scan(methodPath, null);

        List<String> params = new ArrayList<>();
        boolean takesContext = false;
        for (int i = 0; i < method.getParameters().size(); i++) {
            VariableTree p = method.getParameters().get(i);
            VariableElement pe = f.getParameters().get(i);
            String name = CNames.of(pe.getSimpleName().toString());
            TypeMirror t = pe.asType();
            String arrayElement = nativeArrayElement(t);
            if (arrayElement != null) {
                vars.put(pe, new Var(VarKind.NATIVE_ARRAY, name, arrayElement, 0, arrayId(pe)));
                params.add(d.pointer(arrayElement) + " " + name);
                params.add("int " + name + "_len");
                usesHalf |= arrayElement.equals("half");
            } else if (isType(t, KERNEL + "KernelContext") && isKernel && !takesContext) {
                vars.put(pe, new Var(VarKind.CONTEXT, name));
                takesContext = true;
            } else if (isKernel && scalar(t) != null && t.getKind() != TypeKind.DOUBLE && t.getKind() != TypeKind.BOOLEAN
                    || !isKernel && scalar(t) != null) {
                vars.put(pe, new Var(VarKind.SCALAR, name));
                params.add(scalar(t) + " " + name);
            } else if (isKernel) {
                problem(p, "parameter " + pe.getSimpleName() + " has type " + t + ", which kernels do not take"
                        + (isType(t, KERNEL + "KernelContext") ? " more than once" : "")
                        + "; " + KERNEL_PARAMETERS);
            } else {
                // Registered anyway, so that its uses do not add errors to this one.
                vars.put(pe, new Var(VarKind.CONTEXT, name));
                problem(p, "device function " + f.getSimpleName() + " takes " + pe.getSimpleName() + " of type " + t
                        + "; device functions take FloatArray, IntArray, HalfFloatArray and int, long, float, double"
                        + " or boolean values (no KernelContext, no Java arrays)");
            }
        }
        List<ForLoopTree> parallel = ParallelLoop.find(method.getBody());
        parallelLoops.clear();
        dimensions.clear();
        parallelIndices.clear();
        if (isKernel) {
            checkKernelShape(f, method, takesContext, parallel);
        } else if (!parallel.isEmpty()) {
            problem(parallel.get(0), "@Parallel loops are allowed only in kernels, not in device function "
                    + f.getSimpleName() + "; move the loop into the kernel");
        }
        String returnType = isKernel ? null : scalarOrVoid(f.getReturnType());
        if (!isKernel && returnType == null) {
            problem(method.getReturnType(), "device function " + f.getSimpleName() + " returns " + f.getReturnType()
                    + "; device functions return int, long, float, double, boolean or void");
        }

        out = new StringBuilder();
        indent = 1;
        for (StatementTree s : method.getBody().getStatements()) {
            statement(s);
        }
        String body = out.toString();
        StringBuilder fn = new StringBuilder();
        String qualifier = isKernel ? d.kernelQualifier() + launchBounds(f, method, takesContext)
                : d.deviceFunctionQualifier() + " " + returnType;
        String faultParameters = isKernel ? IndexChecks.parameters(params.isEmpty())
                : faultMark("P", params.isEmpty(), functionNames.get(f));
        fn.append(qualifier).append(' ').append(functionNames.get(f)).append('(').append(String.join(", ", params))
                .append(faultParameters).append(") {\n");
        for (String declaration : d.localArrays(localArrays)) {
            fn.append("    ").append(declaration).append('\n');
        }
        fn.append(body).append("}\n");
        long dynamicBytes = d.dynamicLocalBytes(localArrays);
        return dynamicBytes == 0 ? fn.toString() : DynamicLocalMemory.marker(dynamicBytes) + "\n" + fn;
    }

    /**
     * CUDA's {@code __launch_bounds__(maxItems, minGroups)} of a kernel annotated {@code @LaunchBounds}
     * (with a leading space), or nothing: OpenCL C has no such hint.
     */
    private String launchBounds(ExecutableElement f, MethodTree method, boolean takesContext) {
        for (AnnotationMirror a : f.getAnnotationMirrors()) {
            if (!isType(a.getAnnotationType(), KERNEL + "LaunchBounds")) {
                continue;
            }
            int maxItems = 0;
            int minGroups = 1;
            for (Map.Entry<? extends ExecutableElement, ? extends AnnotationValue> e : a.getElementValues().entrySet()) {
                int value = (Integer) e.getValue().getValue();
                if (e.getKey().getSimpleName().contentEquals("maxItems")) {
                    maxItems = value;
                } else {
                    minGroups = value;
                }
            }
            if (!takesContext) {
                problem(method, "@LaunchBounds is for KernelContext kernels, whose work-group size the launch gives;"
                        + " a @Parallel kernel's work-groups are the runtime's choice");
            } else if (maxItems <= 0 || minGroups <= 0) {
                problem(method, "@LaunchBounds needs maxItems and minGroups of at least 1, not " + maxItems + " and "
                        + minGroups);
            }
            return d == Dialect.CUDA ? " __launch_bounds__(" + maxItems + ", " + minGroups + ")" : "";
        }
        return "";
    }

    private void checkKernelShape(ExecutableElement f, MethodTree method, boolean takesContext, List<ForLoopTree> parallel) {
        Set<Modifier> mods = f.getModifiers();
        if (!mods.contains(Modifier.STATIC) || f.getReturnType().getKind() != TypeKind.VOID) {
            problem(method, "kernel " + f.getSimpleName() + " must be a static void method");
        }
        if (CNames.reserved(f.getSimpleName().toString())) {
            problem(method, "kernel name " + f.getSimpleName() + " is a keyword or built-in in OpenCL C or CUDA C; rename"
                    + " the kernel");
        }
        if (takesContext && !parallel.isEmpty()) {
            problem(parallel.get(0), "a kernel takes either a KernelContext or @Parallel loops, not both: drop the"
                    + " KernelContext parameter, or compute indices from ctx.globalIdx instead of the loop");
            return;
        }
        int outside = ParallelLoop.firstOutsideNest(parallel);
        if (outside >= 0) {
            problem(parallel.get(outside), outside >= 3 ? "at most three @Parallel loops may be nested"
                    : "the @Parallel loops of a kernel must form one nest, each inside the body of the previous one;"
                    + " make this loop sequential or move it into a kernel of its own");
        }
        for (int k = 0; k < parallel.size(); k++) {
            ForLoopTree loop = parallel.get(k);
            ParallelLoop pl = ParallelLoop.parse(loop);
            if (pl == null) {
                problem(loop, "unsupported @Parallel loop header; write " + ParallelLoop.FORM);
                continue;
            }
            Long step = pl.step() == null ? Long.valueOf(1) : intConstant(pl.step());
            if (step == null || step <= 0) {
                problem(pl.step(), "the step of a @Parallel loop must be a positive compile-time constant");
            }
            Map<String, VariableTree> locals = ParallelLoop.boundLocals(method.getBody(), parallel.get(0));
            checkBound(pl.start(), f, locals);
            checkBound(pl.end(), f, locals);
            parallelLoops.put(loop, pl);
            dimensions.put(loop, Math.min(parallel.size(), 3) - 1 - k);
            parallelIndices.add(trees.getElement(path(loop.getInitializer().get(0))));
        }
    }

    /** Whether the kernel assigns {@code local} anywhere after its declaration (=, op=, ++, --). */
    private boolean assigned(Element local) {
        MethodTree method = (MethodTree) trees.getPath(kernel).getLeaf();
        Boolean found = new TreeScanner<Boolean, Void>() {
            @Override
            public Boolean visitAssignment(AssignmentTree node, Void unused) {
                return names(node.getVariable()) || Boolean.TRUE.equals(super.visitAssignment(node, unused));
            }

            @Override
            public Boolean visitCompoundAssignment(CompoundAssignmentTree node, Void unused) {
                return names(node.getVariable()) || Boolean.TRUE.equals(super.visitCompoundAssignment(node, unused));
            }

            @Override
            public Boolean visitUnary(UnaryTree node, Void unused) {
                boolean update = switch (node.getKind()) {
                    case PREFIX_INCREMENT, PREFIX_DECREMENT, POSTFIX_INCREMENT, POSTFIX_DECREMENT -> true;
                    default -> false;
                };
                return update && names(node.getExpression()) || Boolean.TRUE.equals(super.visitUnary(node, unused));
            }

            private boolean names(ExpressionTree target) {
                return target instanceof IdentifierTree && local.equals(trees.getElement(path(target)));
            }

            @Override
            public Boolean reduce(Boolean a, Boolean b) {
                return Boolean.TRUE.equals(a) || Boolean.TRUE.equals(b);
            }
        }.scan(method.getBody(), null);
        return Boolean.TRUE.equals(found);
    }

    /** START and END of @Parallel loops are evaluated on the host from the arguments alone. */
    /**
     * Checks that a bound is an expression of the kernel's parameters (see {@link ParallelLoop}): also
     * through {@code locals} ({@link ParallelLoop#boundLocals}) that are never assigned after their
     * declaration and whose initializers are such expressions themselves.
     */
    private void checkBound(ExpressionTree bound, ExecutableElement f, Map<String, VariableTree> locals) {
        new TreePathScanner<Void, Void>() {
            @Override
            public Void visitIdentifier(IdentifierTree node, Void unused) {
                Element e = trees.getElement(path(node));
                VariableTree local = locals.get(node.getName().toString());
                boolean isLocal = local != null && e != null && e.equals(trees.getElement(path(local)));
                boolean ok = e instanceof VariableElement v
                        && (f.getParameters().contains(v) || v.getConstantValue() != null);
                if (isLocal && !assigned(e)) {
                    checkBound(local.getInitializer(), f, locals);
                } else if (!ok) {
                    problem(node, "@Parallel loop bounds may use only the kernel's parameters, constants,"
                            + " array.getSize() and locals of those declared before the loops and never assigned, not "
                            + node.getName() + ": the runtime evaluates them before the kernel runs to size the launch");
                }
                return null;
            }

            @Override
            public Void visitMemberSelect(MemberSelectTree node, Void unused) {
                Element e = trees.getElement(path(node));
                if (e instanceof VariableElement v && v.getConstantValue() != null) {
                    return null;
                }
                problem(node, "@Parallel loop bounds may use only the kernel's parameters, constants and"
                        + " array.getSize(), not " + node);
                return null;
            }

            @Override
            public Void visitMethodInvocation(MethodInvocationTree node, Void unused) {
                Element m = trees.getElement(path(node.getMethodSelect()));
                String name = m == null ? "" : m.getSimpleName().toString();
                boolean size = name.equals("getSize") && nativeArrayElement(receiverType(node)) != null;
                boolean math = m != null && isMathClass(m.getEnclosingElement()) && INTEGER_FUNCTIONS.contains(name);
                if (!size && !math) {
                    problem(node, "@Parallel loop bounds may call only array.getSize() and Math.min/max/abs");
                }
                if (math) {
                    // scan(TreePath) leaves no current path behind it: take it once, for every argument.
                    TreePath call = getCurrentPath();
                    node.getArguments().forEach(a -> scan(new TreePath(call, a), null));
                }
                return null;
            }
        }.scan(path(bound), null);
    }

    private void checkRecursion(ExecutableElement f, List<ExecutableElement> stack) {
        stack.add(f);
        for (Call c : calls.getOrDefault(f, List.of())) {
            int at = stack.indexOf(c.callee());
            if (at >= 0) {
                List<String> cycle = new ArrayList<>();
                stack.subList(at, stack.size()).forEach(e -> cycle.add(e.getSimpleName().toString()));
                cycle.add(c.callee().getSimpleName().toString());
                problem(c.site(), "recursion is not allowed in kernels (" + String.join(" -> ", cycle)
                        + "); GPUs have no call stack: write it as a loop");
            } else if (stack.size() < 64) {
                checkRecursion(c.callee(), stack);
            }
        }
        stack.remove(stack.size() - 1);
    }

    // ---------------------------------------------------------------- statements

    private void statement(StatementTree s) {
        switch (s.getKind()) {
            case BLOCK -> {
                line("{");
                block(s);
                line("}");
            }
            case VARIABLE -> variable((VariableTree) s);
            case EXPRESSION_STATEMENT -> {
                comment(s);
                line(expr(((ExpressionStatementTree) s).getExpression()) + ";");
            }
            case IF -> ifStatement((IfTree) s, false);
            case FOR_LOOP -> forLoop((ForLoopTree) s);
            case WHILE_LOOP -> {
                WhileLoopTree w = (WhileLoopTree) s;
                comment(s);
                line("while (" + condition(w.getCondition()) + ") {");
                loopBody(w.getStatement(), false);
                line("}");
            }
            case DO_WHILE_LOOP -> {
                DoWhileLoopTree w = (DoWhileLoopTree) s;
                comment(s);
                line("do {");
                loopBody(w.getStatement(), false);
                line("} while (" + condition(w.getCondition()) + ");");
            }
            case BREAK -> {
                BreakTree b = (BreakTree) s;
                if (b.getLabel() != null) {
                    problem(s, "labeled break is not allowed in kernels; use a flag variable and plain break");
                } else if (Boolean.TRUE.equals(loops.peekLast())) {
                    problem(s, "break out of a @Parallel loop is not allowed: its iterations run in parallel;"
                            + " use continue to skip an iteration");
                }
                line("break;");
            }
            case CONTINUE -> {
                if (((ContinueTree) s).getLabel() != null) {
                    problem(s, "labeled continue is not allowed in kernels; use a flag variable and plain continue");
                }
                line("continue;");
            }
            case RETURN -> {
                ReturnTree r = (ReturnTree) s;
                if (loops.contains(Boolean.TRUE)) {
                    problem(s, "return inside a @Parallel loop is not allowed: its iterations run in parallel;"
                            + " use continue to skip an iteration");
                }
                comment(s);
                line(r.getExpression() == null ? "return;" : "return " + expr(r.getExpression()) + ";");
            }
            case EMPTY_STATEMENT -> {
            }
            // The label is dropped: it can serve only labeled break/continue, which are errors.
            case LABELED_STATEMENT -> statement(((LabeledStatementTree) s).getStatement());
            case ENHANCED_FOR_LOOP -> problem(s, "enhanced for loops (for (x : xs)) are not allowed in kernels;"
                    + " use an index loop: for (int i = 0; i < a.getSize(); i++)");
            case THROW, TRY -> problem(s, "exceptions (throw, try/catch) are not allowed in kernels; GPUs cannot"
                    + " raise them: check conditions with if and skip the work");
            case SYNCHRONIZED -> problem(s, "synchronized is not allowed in kernels; work items of a work-group"
                    + " synchronise with KernelContext.localBarrier()");
            case SWITCH -> switchStatement((SwitchTree) s);
            case CLASS -> problem(s, "local classes are not allowed in kernels");
            default -> problem(s, s.getKind().toString().toLowerCase().replace('_', ' ')
                    + " statements are not allowed in kernels");
        }
    }

    /**
     * A switch statement on an int value, as C's: constant labels, fall-through
     * between {@code case L:} groups, {@code case L1, L2 -> body} without it. Each case's statements
     * are a C block (a variable one case declares is not seen by the next). {@code break} leaves the
     * switch, as in Java, also inside a {@code @Parallel} loop.
     */
    private void switchStatement(SwitchTree s) {
        comment(s);
        TypeMirror selector = trees.getTypeMirror(path(s.getExpression()));
        if (selector.getKind() != TypeKind.INT) {
            problem(s.getExpression(), "switch in kernels is on int values, not " + selector);
            return;
        }
        line("switch (" + expr(s.getExpression()) + ") {");
        loops.addLast(false); // a break inside leaves the switch, not a loop
        for (CaseTree c : s.getCases()) {
            if (c.getGuard() != null || c.getLabels().stream().anyMatch(l -> l instanceof PatternCaseLabelTree)) {
                problem(c, "pattern cases are not allowed in kernels; switch on int constants");
                continue;
            }
            List<String> labels = new ArrayList<>();
            for (CaseLabelTree label : c.getLabels()) {
                if (label instanceof DefaultCaseLabelTree) {
                    labels.add("default:");
                } else if (label instanceof ConstantCaseLabelTree constant) {
                    Long value = intConstant(constant.getConstantExpression());
                    labels.add(value == null ? problem(constant, "a case label in a kernel must be an int constant")
                            : "case " + value + ":");
                }
            }
            line(String.join(" ", labels) + " {");
            indent++;
            if (c.getCaseKind() == CaseTree.CaseKind.RULE) {
                if (c.getBody() instanceof StatementTree body) {
                    statement(body);
                } else {
                    line(expr((ExpressionTree) c.getBody()) + ";");
                }
                line("break;");
            } else {
                c.getStatements().forEach(this::statement);
            }
            indent--;
            line("}");
        }
        loops.removeLast();
        line("}");
    }

    private void block(StatementTree s) {
        indent++;
        if (s instanceof BlockTree b) {
            b.getStatements().forEach(this::statement);
        } else {
            statement(s);
        }
        indent--;
    }

    private void loopBody(StatementTree body, boolean parallel) {
        loops.addLast(parallel);
        block(body);
        loops.removeLast();
    }

    private void ifStatement(IfTree s, boolean elseIf) {
        if (!elseIf) {
            comment(s);
        }
        String head = "if (" + condition(s.getCondition()) + ") {";
        if (elseIf) {
            out.setLength(out.length() - 2); // "}\n" of the previous branch
            out.append("} else ").append(head).append('\n');
        } else {
            line(head);
        }
        block(s.getThenStatement());
        line("}");
        if (s.getElseStatement() instanceof IfTree elseIfTree) {
            ifStatement(elseIfTree, true);
        } else if (s.getElseStatement() != null) {
            out.setLength(out.length() - 2);
            out.append("} else {\n");
            block(s.getElseStatement());
            line("}");
        }
    }

    private void forLoop(ForLoopTree s) {
        comment(s);
        ParallelLoop pl = parallelLoops.get(s);
        if (pl != null) {
            VariableTree index = (VariableTree) s.getInitializer().get(0);
            String i = CNames.of(pl.index());
            vars.put(trees.getElement(path(index)), new Var(VarKind.SCALAR, i));
            int dim = dimensions.get(s);
            Long stepValue = pl.step() == null ? Long.valueOf(1) : intConstant(pl.step());
            long step = stepValue == null ? 1 : stepValue;
            String times = step == 1 ? "" : " * " + step;
            if (pl.descending()) {
                line("for (int " + i + " = " + bound(pl.start()) + " - " + d.globalId(dim) + times + "; " + i
                        + (pl.inclusive() ? " >= " : " > ") + bound(pl.end()) + "; " + i + " -= " + d.globalSize(dim)
                        + times + ") {");
                loopBody(s.getStatement(), true);
                line("}");
                return;
            }
            String start = isZero(pl.start()) ? "" : bound(pl.start()) + " + ";
            line("for (int " + i + " = " + start + d.globalId(dim) + times + "; " + i + (pl.inclusive() ? " <= " : " < ")
                    + bound(pl.end()) + "; " + i + " += " + d.globalSize(dim) + times + ") {");
            loopBody(s.getStatement(), true);
            line("}");
            return;
        }
        List<String> init = new ArrayList<>();
        for (StatementTree st : s.getInitializer()) {
            if (st instanceof VariableTree v) {
                String decl = scalarDeclaration(v);
                // Later declarators of "int i = 0, j = 1" share the first one's type.
                init.add(init.isEmpty() ? decl : decl.substring(decl.indexOf(' ' + CNames.of(v.getName().toString()) + ' ') + 1));
            } else {
                init.add(expr(((ExpressionStatementTree) st).getExpression()));
            }
        }
        List<String> update = new ArrayList<>();
        s.getUpdate().forEach(u -> update.add(expr(u.getExpression())));
        if (ParallelLoop.isUnrolled(s)) {
            line("#pragma unroll");
        }
        line("for (" + String.join(", ", init) + "; " + (s.getCondition() == null ? "" : condition(s.getCondition()))
                + "; " + String.join(", ", update) + ") {");
        loopBody(s.getStatement(), false);
        line("}");
    }

    private void variable(VariableTree v) {
        Element e = trees.getElement(path(v));
        TypeMirror t = e.asType();
        if (t instanceof ArrayType at) {
            arrayVariable(v, e, at);
            return;
        }
        comment(v);
        line(scalarDeclaration(v) + ";");
    }

    /** {@code type name = init}, registering the variable. */
    private String scalarDeclaration(VariableTree v) {
        Element e = trees.getElement(path(v));
        String type = scalar(e.asType());
        String name = CNames.of(v.getName().toString());
        if (type == null) {
            problem(v, "local variable " + v.getName() + " has type " + e.asType() + ", which kernels do not have;"
                    + " locals are int, long, float, boolean (double is computed as float), or arrays"
                    + " new float[CONSTANT] / new int[CONSTANT] declared on their own");
            type = "int";
        }
        vars.put(e, new Var(VarKind.SCALAR, name));
        return type + " " + name + (v.getInitializer() == null ? "" : " = " + expr(v.getInitializer()));
    }

    private void arrayVariable(VariableTree v, Element e, ArrayType t) {
        String name = CNames.of(v.getName().toString());
        TypeKind component = t.getComponentType().getKind();
        if (component == TypeKind.ARRAY) {
            problem(v, "2-D arrays are not allowed in kernels; use a 1-D array and index it as a[i * n + j]");
            return;
        }
        String element = component == TypeKind.FLOAT ? "float" : component == TypeKind.INT ? "int" : null;
        ExpressionTree init = v.getInitializer();
        String allocation = "";
        ExpressionTree size = null;
        if (init instanceof NewArrayTree na && na.getInitializers() != null && element != null) {
            initializedArray(v, e, name, element, na.getInitializers());
            return;
        }
        if (init instanceof NewArrayTree na && na.getDimensions().size() == 1 && na.getInitializers() == null) {
            size = na.getDimensions().get(0);
        } else if (init instanceof MethodInvocationTree mi && isContextCall(mi)) {
            allocation = trees.getElement(path(mi.getMethodSelect())).getSimpleName().toString();
            size = mi.getArguments().isEmpty() ? null : mi.getArguments().get(0);
        }
        if (element == null || size == null
                || !allocation.isEmpty() && !allocation.equals(element.equals("float") ? "allocateFloatLocalArray" : "allocateIntLocalArray")) {
            problem(v, "array variable " + v.getName() + " is not allowed here: kernels declare float[] and int[]"
                    + " arrays only as new float[CONSTANT] / new int[CONSTANT] or {v0, v1, ...} (private to the work item) or"
                    + " ctx.allocateFloatLocalArray(CONSTANT) / ctx.allocateIntLocalArray(CONSTANT) (local memory)");
            return;
        }
        Long n = intConstant(size);
        if (n == null || n <= 0) {
            problem(size, "the size of array " + v.getName() + " must be a positive compile-time constant (a literal"
                    + " or a static final int), since device arrays have a fixed size");
            return;
        }
        if (allocation.isEmpty()) {
            vars.put(e, new Var(VarKind.PRIVATE_ARRAY, name, element, n, arrayId(e)));
            comment(v);
            line(element + " " + name + "[" + n + "] = {0};");
        } else if (!loops.isEmpty() || indent != 1 || function != kernel) {
            problem(v, "local arrays must be allocated at the top level of the kernel body, not inside loops,"
                    + " conditions or device functions: there is one per work-group");
        } else if (vars.values().stream().anyMatch(x -> x.name().equals(name))) {
            problem(v, "local array " + v.getName() + " has the name of another variable; local arrays are declared"
                    + " at kernel scope in C, so give it a distinct name");
        } else {
            vars.put(e, new Var(VarKind.LOCAL_ARRAY, name, element, n, arrayId(e)));
            localArrays.add(new Dialect.LocalArray(element, name, n));
        }
    }

    /**
     * A private array with its values ({@code float[] w = {0.25f, 0.5f, 0.25f}} or
     * {@code new int[] {...}}): a C array of as many elements, each converted to the element type as
     * Java converts it.
     */
    private void initializedArray(VariableTree v, Element e, String name, String element,
            List<? extends ExpressionTree> values) {
        if (values.isEmpty()) {
            problem(v, "array " + v.getName() + " has no elements; kernels' arrays have a fixed, positive size");
            return;
        }
        TypeKind kind = element.equals("float") ? TypeKind.FLOAT : TypeKind.INT;
        List<String> items = new ArrayList<>();
        for (ExpressionTree value : values) {
            TypeKind from = trees.getTypeMirror(path(value)).getKind();
            boolean same = from == kind || isFloating(from, TypeKind.VOID) && kind == TypeKind.FLOAT;
            items.add(same ? expr(value) : "(" + element + ") " + operand(value));
        }
        vars.put(e, new Var(VarKind.PRIVATE_ARRAY, name, element, values.size(), arrayId(e)));
        comment(v);
        line(element + " " + name + "[" + values.size() + "] = {" + String.join(", ", items) + "};");
    }

    // ---------------------------------------------------------------- expressions

    private String condition(ExpressionTree c) {
        String s = expr(c);
        return c instanceof ParenthesizedTree && s.startsWith("(") && s.endsWith(")") ? s.substring(1, s.length() - 1) : s;
    }

    /** An expression, parenthesised unless it binds tighter than any binary operator. */
    private String operand(ExpressionTree e) {
        String s = expr(e);
        return atomic(e) ? s : "(" + s + ")";
    }

    /** A loop bound, to stand beside + and <: parenthesised unless atomic or arithmetic. */
    private String bound(ExpressionTree e) {
        return switch (e.getKind()) {
            case PLUS, MINUS, MULTIPLY, DIVIDE, REMAINDER, METHOD_INVOCATION, MEMBER_SELECT -> expr(e);
            default -> operand(e);
        };
    }

    private static boolean atomic(ExpressionTree e) {
        return switch (e.getKind()) {
            case IDENTIFIER, PARENTHESIZED, INT_LITERAL, LONG_LITERAL, BOOLEAN_LITERAL, ARRAY_ACCESS -> true;
            default -> false;
        };
    }

    private String expr(ExpressionTree e) {
        switch (e.getKind()) {
            case PARENTHESIZED:
                return "(" + expr(((ParenthesizedTree) e).getExpression()) + ")";
            case INT_LITERAL, LONG_LITERAL, FLOAT_LITERAL, DOUBLE_LITERAL, BOOLEAN_LITERAL:
                return literal(((LiteralTree) e).getValue());
            case STRING_LITERAL:
                return problem(e, "strings are not allowed in kernels");
            case CHAR_LITERAL:
                return problem(e, "char values are not allowed in kernels; use int");
            case NULL_LITERAL:
                return problem(e, "null is not allowed in kernels");
            case IDENTIFIER:
                return identifier((IdentifierTree) e);
            case MEMBER_SELECT:
                return memberSelect((MemberSelectTree) e);
            case METHOD_INVOCATION:
                return invocation((MethodInvocationTree) e);
            case ARRAY_ACCESS: {
                ArrayAccessTree a = (ArrayAccessTree) e;
                Var v = a.getExpression() instanceof IdentifierTree id ? var(id) : null;
                if (v == null || (v.kind() != VarKind.LOCAL_ARRAY && v.kind() != VarKind.PRIVATE_ARRAY)) {
                    return problem(e, a.getExpression() instanceof ArrayAccessTree
                            ? "2-D arrays are not allowed in kernels; use a 1-D array and index it as a[i * n + j]"
                            : "only local arrays (ctx.allocateFloatLocalArray) and private arrays (new float[N]) can be"
                            + " indexed with []; use get(i)/set(i, v) on FloatArray, IntArray and HalfFloatArray");
                }
                return v.name() + "[" + checkedIndex(v, a.getIndex(), e) + "]";
            }
            case CONDITIONAL_EXPRESSION: {
                ConditionalExpressionTree c = (ConditionalExpressionTree) e;
                return expr(c.getCondition()) + " ? " + expr(c.getTrueExpression()) + " : " + expr(c.getFalseExpression());
            }
            case TYPE_CAST:
                return cast((TypeCastTree) e);
            case ASSIGNMENT: {
                AssignmentTree a = (AssignmentTree) e;
                return assignable(a.getVariable()) + " = " + expr(a.getExpression());
            }
            case PREFIX_INCREMENT, PREFIX_DECREMENT, POSTFIX_INCREMENT, POSTFIX_DECREMENT:
                return unary((UnaryTree) e);
            case UNARY_MINUS, UNARY_PLUS, BITWISE_COMPLEMENT, LOGICAL_COMPLEMENT:
                return unary((UnaryTree) e);
            case NEW_CLASS:
                return problem(e, "object allocation (new " + ((com.sun.source.tree.NewClassTree) e).getIdentifier()
                        + ") is not allowed in kernels; kernels work on their array parameters and local variables");
            case NEW_ARRAY:
                return problem(e, "arrays can be created only as a local variable initialiser: float[] a = new"
                        + " float[CONSTANT] or int[] a = new int[CONSTANT]");
            case LAMBDA_EXPRESSION:
                return problem(e, "lambdas are not allowed in kernels; use a static method of the kernel's class");
            case MEMBER_REFERENCE:
                return problem(e, "method references are not allowed in kernels; call a static method of the"
                        + " kernel's class");
            default:
                if (e instanceof CompoundAssignmentTree ca) {
                    return compoundAssignment(ca);
                }
                if (e instanceof BinaryTree b) {
                    return binary(b);
                }
                return problem(e, e.getKind().toString().toLowerCase().replace('_', ' ')
                        + " expressions are not allowed in kernels");
        }
    }

    private String literal(Object value) {
        return switch (value) {
            case Integer i -> i == Integer.MIN_VALUE ? "(-2147483647 - 1)" : i.toString();
            case Long l -> l == Long.MIN_VALUE ? "(-9223372036854775807" + d.longSuffix() + " - 1)" : l + d.longSuffix();
            case Float f -> floatLiteral(f);
            case Double x -> floatLiteral(x.floatValue());
            case Boolean b -> b.toString();
            default -> throw new IllegalArgumentException("not a kernel literal: " + value);
        };
    }

    private String floatLiteral(float f) {
        if (Float.isNaN(f)) {
            return d.nan();
        }
        if (Float.isInfinite(f)) {
            return d.infinity(f < 0);
        }
        return Float.toString(f) + "f";
    }

    private String identifier(IdentifierTree id) {
        Element e = trees.getElement(path(id));
        if (e instanceof VariableElement ve && ve.getKind() == ElementKind.FIELD) {
            return field(id, ve);
        }
        Var v = var(id);
        if (v == null) {
            return problem(id, id.getName() + " cannot be used in kernels");
        }
        if (v.kind() != VarKind.SCALAR) {
            return problem(id, v.kind() == VarKind.CONTEXT
                    ? "the KernelContext can only be used for its fields and methods (ctx.globalIdx, ctx.localBarrier())"
                    : "array " + id.getName() + " can only be indexed, sized or passed to a device function");
        }
        return v.name();
    }

    private Var var(IdentifierTree id) {
        return vars.get(trees.getElement(path(id)));
    }

    private String field(Tree site, VariableElement f) {
        Object constant = f.getConstantValue();
        if (constant instanceof String) {
            return problem(site, "strings are not allowed in kernels");
        }
        if (constant instanceof Character) {
            return problem(site, "char values are not allowed in kernels; use int");
        }
        if (constant != null) {
            return literal(constant instanceof Short || constant instanceof Byte ? ((Number) constant).intValue() : constant);
        }
        return problem(site, f.getModifiers().contains(Modifier.STATIC)
                ? "static field " + f.getSimpleName() + " is not a compile-time constant; kernels may read only"
                + " static final primitives initialised with constant expressions (pass other values as parameters)"
                : "instance field " + f.getSimpleName() + " is not allowed in kernels; pass the value as a parameter");
    }

    private String memberSelect(MemberSelectTree ms) {
        Element e = trees.getElement(path(ms));
        TypeMirror receiver = trees.getTypeMirror(path(ms.getExpression()));
        if (isType(receiver, KERNEL + "KernelContext") && !(e instanceof VariableElement ve && ve.getConstantValue() != null)) {
            String where = CONTEXT_FIELDS.get(ms.getIdentifier().toString());
            if (where == null || !(ms.getExpression() instanceof IdentifierTree id) || var(id) == null) {
                return problem(ms, "use KernelContext fields through the kernel's KernelContext parameter");
            }
            int dim = where.charAt(where.length() - 1) - '0';
            return switch (where.substring(0, where.indexOf(' '))) {
                case "globalId" -> d.globalId(dim);
                case "localId" -> d.localId(dim);
                case "groupId" -> d.groupId(dim);
                case "globalSize" -> d.globalSize(dim);
                default -> d.localSize(dim);
            };
        }
        if (receiver instanceof ArrayType && ms.getIdentifier().contentEquals("length")
                && ms.getExpression() instanceof IdentifierTree id && var(id) != null) {
            return var(id).length();
        }
        if (e instanceof VariableElement ve && ve.getKind() == ElementKind.FIELD) {
            return field(ms, ve);
        }
        return problem(ms, ms + " cannot be used in kernels");
    }

    private String cast(TypeCastTree c) {
        TypeKind to = trees.getTypeMirror(path(c)).getKind();
        TypeKind from = trees.getTypeMirror(path(c.getExpression())).getKind();
        String value = expr(c.getExpression());
        boolean fromFloat = from == TypeKind.FLOAT || from == TypeKind.DOUBLE;
        return switch (to) {
            case INT, LONG -> fromFloat ? d.floatToInt(value, to == TypeKind.LONG)
                    : "(" + scalar(trees.getTypeMirror(path(c))) + ") " + value;
            case FLOAT, DOUBLE -> fromFloat ? value : "(float) " + value;
            case BOOLEAN -> value;
            default -> problem(c, "casts to " + c.getType() + " are not allowed in kernels; kernels compute with int,"
                    + " long, float and boolean");
        };
    }

    private String unary(UnaryTree u) {
        String operand = u.getKind().name().endsWith("CREMENT") ? assignable(u.getExpression()) : expr(u.getExpression());
        return switch (u.getKind()) {
            case PREFIX_INCREMENT -> "++" + operand;
            case PREFIX_DECREMENT -> "--" + operand;
            case POSTFIX_INCREMENT -> operand + "++";
            case POSTFIX_DECREMENT -> operand + "--";
            case UNARY_MINUS -> operand.startsWith("-") ? "- " + operand : "-" + operand;
            case UNARY_PLUS -> operand.startsWith("+") ? "+ " + operand : "+" + operand;
            case BITWISE_COMPLEMENT -> "~" + operand;
            default -> "!" + operand;
        };
    }

    /** The left side of an assignment: a scalar local or parameter, or an element of a local or private array. */
    private String assignable(ExpressionTree target) {
        if (target instanceof IdentifierTree id) {
            Element e = trees.getElement(path(id));
            if (parallelIndices.contains(e)) {
                return problem(target, "the index of a @Parallel loop cannot be assigned in the loop body");
            }
            if (e instanceof VariableElement ve && ve.getKind() == ElementKind.FIELD) {
                return problem(target, "kernels cannot assign fields (" + id.getName() + "); write results into an"
                        + " array parameter");
            }
            Var v = var(id);
            if (v != null && v.kind() != VarKind.SCALAR) {
                return problem(target, "array variable " + id.getName() + " cannot be reassigned in kernels");
            }
            return expr(id);
        }
        if (target instanceof ArrayAccessTree) {
            return expr(target);
        }
        if (target instanceof ParenthesizedTree p) {
            return "(" + assignable(p.getExpression()) + ")";
        }
        return problem(target, "kernels can assign only local variables and elements of local or private arrays;"
                + " use set(i, v) on array parameters");
    }

    private String compoundAssignment(CompoundAssignmentTree c) {
        String target = assignable(c.getVariable());
        TypeKind left = trees.getTypeMirror(path(c.getVariable())).getKind();
        TypeKind right = trees.getTypeMirror(path(c.getExpression())).getKind();
        if (isShift(c.getKind())) {
            return target + " = " + shift(c.getKind(), target, true, c.getExpression(), left);
        }
        String op = operator(c.getKind());
        String value = expr(c.getExpression());
        if (op.equals("%") && isFloating(left, right)) {
            return target + " = " + d.floatFunction("fmod") + "(" + target + ", " + value + ")";
        }
        return target + " " + op + "= " + value;
    }

    private String binary(BinaryTree b) {
        TypeMirror leftType = trees.getTypeMirror(path(b.getLeftOperand()));
        TypeMirror rightType = trees.getTypeMirror(path(b.getRightOperand()));
        if (isType(trees.getTypeMirror(path(b)), "java.lang.String")) {
            return problem(b, "strings are not allowed in kernels");
        }
        if (isShift(b.getKind())) {
            return shift(b.getKind(), expr(b.getLeftOperand()), atomic(b.getLeftOperand()), b.getRightOperand(),
                    leftType.getKind());
        }
        if (b.getKind() == Tree.Kind.REMAINDER && isFloating(leftType.getKind(), rightType.getKind())) {
            return d.floatFunction("fmod") + "(" + expr(b.getLeftOperand()) + ", " + expr(b.getRightOperand()) + ")";
        }
        return expr(b.getLeftOperand()) + " " + operator(b.getKind()) + " " + expr(b.getRightOperand());
    }

    /** Java shifts: the count is masked to the width of the left operand; >>> shifts in zeros. */
    private String shift(Tree.Kind kind, String left, boolean leftAtomic, ExpressionTree count, TypeKind leftKind) {
        boolean isLong = leftKind == TypeKind.LONG;
        int mask = isLong ? 63 : 31;
        Long constant = intConstant(count);
        String n = constant != null ? Long.toString(constant & mask) : operand(count) + " & " + mask;
        String maskedCount = constant != null ? n : "(" + n + ")";
        return switch (kind) {
            case LEFT_SHIFT, LEFT_SHIFT_ASSIGNMENT -> left + " << " + maskedCount;
            case RIGHT_SHIFT, RIGHT_SHIFT_ASSIGNMENT -> left + " >> " + maskedCount;
            default -> "(" + (isLong ? d.longType() : "int") + ") ((" + d.unsigned(isLong) + ") "
                    + (leftAtomic ? left : "(" + left + ")") + " >> " + maskedCount + ")";
        };
    }

    private static boolean isShift(Tree.Kind k) {
        return switch (k) {
            case LEFT_SHIFT, RIGHT_SHIFT, UNSIGNED_RIGHT_SHIFT, LEFT_SHIFT_ASSIGNMENT, RIGHT_SHIFT_ASSIGNMENT,
                 UNSIGNED_RIGHT_SHIFT_ASSIGNMENT -> true;
            default -> false;
        };
    }

    private static String operator(Tree.Kind k) {
        return switch (k) {
            case MULTIPLY, MULTIPLY_ASSIGNMENT -> "*";
            case DIVIDE, DIVIDE_ASSIGNMENT -> "/";
            case REMAINDER, REMAINDER_ASSIGNMENT -> "%";
            case PLUS, PLUS_ASSIGNMENT -> "+";
            case MINUS, MINUS_ASSIGNMENT -> "-";
            case LESS_THAN -> "<";
            case GREATER_THAN -> ">";
            case LESS_THAN_EQUAL -> "<=";
            case GREATER_THAN_EQUAL -> ">=";
            case EQUAL_TO -> "==";
            case NOT_EQUAL_TO -> "!=";
            case AND, AND_ASSIGNMENT -> "&";
            case XOR, XOR_ASSIGNMENT -> "^";
            case OR, OR_ASSIGNMENT -> "|";
            case CONDITIONAL_AND -> "&&";
            case CONDITIONAL_OR -> "||";
            default -> throw new IllegalArgumentException("no C operator for " + k);
        };
    }

    private static boolean isFloating(TypeKind a, TypeKind b) {
        return a == TypeKind.FLOAT || a == TypeKind.DOUBLE || b == TypeKind.FLOAT || b == TypeKind.DOUBLE;
    }

    // ---------------------------------------------------------------- calls

    private String invocation(MethodInvocationTree call) {
        Element e = trees.getElement(path(call.getMethodSelect()));
        if (!(e instanceof ExecutableElement m)) {
            return problem(call, "cannot resolve " + call.getMethodSelect());
        }
        TypeElement cls = (TypeElement) m.getEnclosingElement();
        String clsName = cls.getQualifiedName().toString();
        String name = m.getSimpleName().toString();
        if (clsName.equals(KERNEL + "FloatArray") || clsName.equals(KERNEL + "IntArray")
                || clsName.equals(KERNEL + "HalfFloatArray") || clsName.equals(KERNEL + "NativeArray")) {
            return arrayCall(call, name);
        }
        if (clsName.equals(KERNEL + "KernelContext")) {
            switch (name) {
                case "localBarrier":
                    return d.barrier();
                case "mma16816", "mmaTiles", "mmaTilesTransposed":
                    return mma(call, !name.equals("mma16816"), name.equals("mmaTilesTransposed"));
                case "copyAsync":
                    return copyAsync(call);
                case "commitCopies":
                    usesMma = true;
                    return d.commitCopies();
                case "awaitCopies": {
                    usesMma = true;
                    Long pending = intConstant(call.getArguments().get(0));
                    if (pending == null || pending < 0) {
                        return problem(call.getArguments().get(0), "awaitCopies: the number of copy groups left"
                                + " in flight must be a constant >= 0 (a pipeline of S stages waits with S - 2)");
                    }
                    return d.awaitCopies(pending);
                }
                case "mmaRow", "mmaCol":
                    usesMma = true;
                    String entry = expr(call.getArguments().get(0));
                    return name.equals("mmaRow") ? d.mmaRow(entry) : d.mmaCol(entry);
                default:
                    break;
            }
            return problem(call, "KernelContext." + name + " is allowed only as the initializer of a local array:"
                    + " float[] tile = ctx.allocateFloatLocalArray(CONSTANT) at the top of the kernel");
        }
        if (isMathClass(cls)) {
            return mathCall(call, m, cls);
        }
        if (cls.equals(owner) && m.getModifiers().contains(Modifier.STATIC)) {
            return deviceCall(call, m);
        }
        return problem(call, "call to " + cls.getSimpleName() + "." + name + " is not allowed in kernels: "
                + (m.getModifiers().contains(Modifier.STATIC) ? "" : "instance methods cannot run on devices; ")
                + ALLOWED_CALLS);
    }

    private String arrayCall(MethodInvocationTree call, String name) {
        ExpressionTree receiver = ((MemberSelectTree) call.getMethodSelect()).getExpression();
        Var a = receiver instanceof IdentifierTree id ? var(id) : null;
        if (a == null || a.kind() != VarKind.NATIVE_ARRAY) {
            return problem(call, "array methods can be called only on the array parameters of the kernel or"
                    + " device function");
        }
        List<? extends ExpressionTree> args = call.getArguments();
        switch (name) {
            case "getSize":
                return a.length();
            case "get": {
                String i = checkedIndex(a, args.get(0), call);
                return a.element().equals("half") ? d.loadHalf(a.name(), i) : a.name() + "[" + i + "]";
            }
            case "set": {
                String i = checkedIndex(a, args.get(0), call);
                if (!a.element().equals("half")) {
                    return a.name() + "[" + i + "] = " + expr(args.get(1));
                }
                // An int or long value converted as Java converts it: OpenCL's vstore_half is overloaded.
                boolean isFloat = isFloating(trees.getTypeMirror(path(args.get(1))).getKind(), TypeKind.VOID);
                return d.storeHalf(a.name(), i, isFloat ? expr(args.get(1)) : "(float) " + operand(args.get(1)));
            }
            default:
                return problem(call, name + "() is not allowed in kernels; arrays offer get(i), set(i, v) and getSize()");
        }
    }

    /**
     * {@code ctx.mma16816(acc, accOffset, a, aOffset, lda, b, bOffset, ldb)}, or with {@code tiles}
     * {@code ctx.mmaTiles(acc, accOffset, a, aOffset, lda, tilesM, b, bOffset, ldb, tilesN)} (with
     * {@code transposedB}, {@code mmaTilesTransposed}: B an int tile staged k-major): acc a
     * private float array of whole 4-float fragments, a and b local arrays (int: fp16 pairs; float:
     * fp32, rounded as read), all passed by name; tilesM and tilesN constants.
     */
    private String mma(MethodInvocationTree call, boolean tiles, boolean transposedB) {
        usesMma = true;
        List<? extends ExpressionTree> args = call.getArguments();
        int bArg = tiles ? 6 : 5;
        Var acc = mmaArray(args.get(0), VarKind.PRIVATE_ARRAY, "float", "the accumulator fragments acc must be a private float"
                + " array of 4 floats per 16x8 tile (float[] acc = new float[4 * TILES])");
        Var a = mmaArray(args.get(2), VarKind.LOCAL_ARRAY, null, "the A tile must be a local int array of fp16"
                + " pairs (ctx.allocateIntLocalArray(N), filled with KernelMath.packHalf2) or a local float array:"
                + " mma16816 reads its tiles from local memory");
        Var b = mmaArray(args.get(bArg), VarKind.LOCAL_ARRAY, transposedB ? "int" : null, "the B tile must be a local int array of fp16"
                + " pairs (ctx.allocateIntLocalArray(N), filled with KernelMath.packHalf2) or a local float array:"
                + " mma16816 reads its tiles from local memory");
        Long tilesM = tiles ? intConstant(args.get(5)) : Long.valueOf(1);
        Long tilesN = tiles ? intConstant(args.get(9)) : Long.valueOf(1);
        if (tilesM == null || tilesN == null || tilesM < 1 || tilesN < 1) {
            return problem(call, "mmaTiles: tilesM and tilesN must be constants >= 1 (the warp's grid of 16x8 tiles)");
        }
        for (int arg : new int[] {4, bArg + 2}) {
            Var tile = arg == 4 ? a : b;
            Long stride = intConstant(args.get(arg));
            if (tile != null && tile.element().equals("int") && stride != null && stride % 4 != 0) {
                problem(args.get(arg), "mma16816: the row stride of an fp16 pair tile must be a multiple of 4 ints"
                        + " (CUDA reads fragments with ldmatrix, from 16-byte rows), not " + stride);
            }
        }
        Long accOffset = intConstant(args.get(1));
        if (acc != null && acc.size() % 4 != 0) {
            problem(args.get(0), "mma16816: the accumulator fragments acc must be a private float array of 4 floats"
                    + " per 16x8 tile; its size " + acc.size() + " is not a multiple of 4");
        } else if (acc != null && accOffset != null
                && (accOffset % 4 != 0 || accOffset < 0 || accOffset + 4 * tilesM * tilesN > acc.size())) {
            problem(args.get(1), "mma16816: the accumulator offset must be a multiple of 4 with its " + tilesM * tilesN
                    + " tile(s) within acc (size " + acc.size() + "), not " + accOffset);
        }
        return d.mma(offset(acc, args.get(1)), offset(a, args.get(3)), expr(args.get(4)), tilesM,
                offset(b, args.get(bArg + 1)), expr(args.get(bArg + 2)), tilesN, transposedB);
    }

    /**
     * Array argument {@code arg} of mma16816 if it names an array of {@code kind} and {@code element}
     * (null: int or float), else null (a problem).
     */
    private Var mmaArray(ExpressionTree arg, VarKind kind, String element, String message) {
        Var v = arg instanceof IdentifierTree id ? var(id) : null;
        if (v == null || v.kind() != kind
                || !(element == null ? v.element().equals("int") || v.element().equals("float") : element.equals(v.element()))) {
            problem(arg, "mma16816: " + message);
            return null;
        }
        return v;
    }

    /**
     * {@code ctx.copyAsync(local, at, source, from, inside)}: a local float array with a FloatArray
     * parameter, or a local int array (fp16 pairs) with a HalfFloatArray parameter, both by name.
     */
    private String copyAsync(MethodInvocationTree call) {
        usesMma = true;
        List<? extends ExpressionTree> args = call.getArguments();
        Var local = args.get(0) instanceof IdentifierTree id ? var(id) : null;
        Var source = args.get(2) instanceof IdentifierTree id ? var(id) : null;
        String expected = local == null ? null : local.element().equals("float") ? "float" : "half";
        if (local == null || local.kind() != VarKind.LOCAL_ARRAY || source == null
                || source.kind() != VarKind.NATIVE_ARRAY || !source.element().equals(expected)) {
            return problem(call, "copyAsync copies from a FloatArray parameter into a local float array, or from a"
                    + " HalfFloatArray parameter into a local int array (fp16 pairs), both named directly");
        }
        return d.copyAsync(offset(local, args.get(1)), source.name(), operand(args.get(3)), operand(args.get(4)));
    }

    /** {@code array + offset} in C ({@code array} alone for offset 0); null array: already a problem. */
    private String offset(Var array, ExpressionTree offset) {
        String o = operand(offset);
        return array == null ? "/* error */" : isZero(offset) ? array.name() : array.name() + " + " + o;
    }

    private String mathCall(MethodInvocationTree call, ExecutableElement m, TypeElement cls) {
        String name = m.getSimpleName().toString();
        if (name.equals("packHalf2") && cls.getQualifiedName().contentEquals(KERNEL + "KernelMath")) {
            usesPackHalf2 = true;
            return "elattn_pack_half2(" + arguments(call, m) + ")";
        }
        TypeKind kind = m.getParameters().isEmpty() ? TypeKind.VOID : m.getParameters().get(0).asType().getKind();
        boolean integer = kind == TypeKind.INT || kind == TypeKind.LONG;
        String function = integer && INTEGER_FUNCTIONS.contains(name) ? d.integerFunction(name, kind == TypeKind.LONG)
                : !integer && FLOAT_FUNCTIONS.containsKey(name) ? d.floatFunction(FLOAT_FUNCTIONS.get(name))
                : !integer && HELPER_FUNCTIONS.containsKey(name) ? HELPER_FUNCTIONS.get(name) : null;
        if (function == null) {
            return problem(call, cls.getSimpleName() + "." + name + " is not supported in kernels; supported: exp, log,"
                    + " log2, sqrt, rsqrt, tanh, erf, pow, sin, cos, tan, asin, acos, atan, atan2, floor, ceil, fract,"
                    + " fma, min, max, abs, signum, clamp (float; min, max, abs also int and long)");
        }
        return function + "(" + arguments(call, m) + ")";
    }

    private String deviceCall(MethodInvocationTree call, ExecutableElement m) {
        if (isKernelMethod(trees, m)) {
            return problem(call, "a kernel cannot call another kernel (" + m.getSimpleName() + "); move the shared"
                    + " code into a static method without @Parallel loops");
        }
        String name = functionNames.computeIfAbsent(m, x -> CNames.of(x.getSimpleName().toString()));
        ExecutableElement previous = functionsByName.putIfAbsent(name, m);
        if (previous != null && !previous.equals(m)) {
            return problem(call, "overloaded device functions (" + m.getSimpleName() + ") are not supported: C has no"
                    + " overloading; give the methods distinct names");
        }
        calls.computeIfAbsent(function, x -> new ArrayList<>()).add(new Call(m, call));
        String args = arguments(call, m);
        return name + "(" + args + faultMark("A", args.isEmpty(), name) + ")";
    }

    /** Arguments converted to the parameter types as Java converts them; arrays followed by their length. */
    private String arguments(MethodInvocationTree call, ExecutableElement m) {
        List<String> args = new ArrayList<>();
        for (int i = 0; i < call.getArguments().size(); i++) {
            ExpressionTree arg = call.getArguments().get(i);
            TypeMirror param = m.getParameters().get(Math.min(i, m.getParameters().size() - 1)).asType();
            if (nativeArrayElement(param) != null) {
                Var a = arg instanceof IdentifierTree id ? var(id) : null;
                if (a == null || a.kind() != VarKind.NATIVE_ARRAY) {
                    args.add(problem(arg, "pass array parameters to device functions by name"));
                } else {
                    args.add(a.name());
                    args.add(a.length());
                }
                continue;
            }
            if (arg instanceof IdentifierTree id && var(id) != null && var(id).kind() == VarKind.CONTEXT) {
                args.add(var(id).name()); // the callee's parameter is reported
                continue;
            }
            TypeKind from = trees.getTypeMirror(path(arg)).getKind();
            TypeKind to = param.getKind();
            boolean same = from == to || isFloating(from, TypeKind.VOID) && isFloating(to, TypeKind.VOID);
            String target = scalar(param);
            args.add(same || target == null ? expr(arg) : "(" + target + ") " + operand(arg));
        }
        return String.join(", ", args);
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Whether {@code m} is meant as a kernel: a static void method (of any access) that takes a
     * KernelContext (in any position, as in TornadoVM), or any method with a {@code @Parallel} loop
     * (which must then be static void, as is checked when it is translated).
     */
    static boolean isKernelMethod(Trees trees, ExecutableElement m) {
        if (m.getParameters().stream().anyMatch(p -> isType(p.asType(), KERNEL + "KernelContext"))
                && m.getModifiers().contains(Modifier.STATIC)
                && m.getReturnType().getKind() == TypeKind.VOID) {
            return true;
        }
        MethodTree tree = trees.getTree(m);
        return tree != null && tree.getBody() != null && !ParallelLoop.find(tree.getBody()).isEmpty();
    }

    private boolean isContextCall(MethodInvocationTree mi) {
        Element e = trees.getElement(path(mi.getMethodSelect()));
        return e != null && ((TypeElement) e.getEnclosingElement()).getQualifiedName().contentEquals(KERNEL + "KernelContext");
    }

    private static boolean isMathClass(Element cls) {
        String n = ((TypeElement) cls).getQualifiedName().toString();
        return n.equals("java.lang.Math") || n.equals("java.lang.StrictMath") || n.equals(KERNEL + "KernelMath");
    }

    private TypeMirror receiverType(MethodInvocationTree call) {
        return call.getMethodSelect() instanceof MemberSelectTree ms ? trees.getTypeMirror(path(ms.getExpression())) : null;
    }

    private static boolean isType(TypeMirror t, String qualifiedName) {
        return t != null && t.getKind() == TypeKind.DECLARED && t.toString().equals(qualifiedName);
    }

    /** float, int or half for the kernel array types, else null. */
    private static String nativeArrayElement(TypeMirror t) {
        if (isType(t, KERNEL + "FloatArray")) {
            return "float";
        }
        if (isType(t, KERNEL + "IntArray")) {
            return "int";
        }
        return isType(t, KERNEL + "HalfFloatArray") ? "half" : null;
    }

    /** The C type of a Java scalar type (double is computed as float), or null. */
    private String scalar(TypeMirror t) {
        return switch (t.getKind()) {
            case INT -> "int";
            case LONG -> d.longType();
            case FLOAT, DOUBLE -> "float";
            case BOOLEAN -> "bool";
            default -> null;
        };
    }

    private String scalarOrVoid(TypeMirror t) {
        return t.getKind() == TypeKind.VOID ? "void" : scalar(t);
    }

    /** The value of an integer compile-time constant expression, or null. */
    private Long intConstant(ExpressionTree e) {
        if (e == null) {
            return null;
        }
        return switch (e) {
            case LiteralTree l when l.getValue() instanceof Integer || l.getValue() instanceof Long ->
                    ((Number) l.getValue()).longValue();
            case ParenthesizedTree p -> intConstant(p.getExpression());
            case IdentifierTree id -> constantOf(trees.getElement(path(id)));
            case MemberSelectTree ms -> constantOf(trees.getElement(path(ms)));
            case UnaryTree u when u.getKind() == Tree.Kind.UNARY_MINUS -> negate(intConstant(u.getExpression()));
            case BinaryTree b -> fold(b.getKind(), intConstant(b.getLeftOperand()), intConstant(b.getRightOperand()));
            default -> null;
        };
    }

    private static Long negate(Long v) {
        return v == null ? null : -v;
    }

    private static Long constantOf(Element e) {
        return e instanceof VariableElement v && (v.getConstantValue() instanceof Integer
                || v.getConstantValue() instanceof Long) ? ((Number) v.getConstantValue()).longValue() : null;
    }

    private static Long fold(Tree.Kind k, Long a, Long b) {
        if (a == null || b == null) {
            return null;
        }
        return switch (k) {
            case PLUS -> a + b;
            case MINUS -> a - b;
            case MULTIPLY -> a * b;
            case DIVIDE -> b == 0 ? null : a / b;
            case REMAINDER -> b == 0 ? null : a % b;
            case LEFT_SHIFT -> a << b;
            case RIGHT_SHIFT -> a >> b;
            case AND -> a & b;
            case OR -> a | b;
            case XOR -> a ^ b;
            default -> null;
        };
    }

    private static boolean isZero(ExpressionTree e) {
        return e instanceof LiteralTree l && Integer.valueOf(0).equals(l.getValue());
    }

    private TreePath path(Tree t) {
        TreePath p = paths.get(t);
        if (p == null) {
            throw new IllegalStateException("no path for " + t);
        }
        return p;
    }

    private String problem(Tree t, String message) {
        problems.add(new Problem(t, message));
        return "/* error */";
    }

    /**
     * A new array's id in the index checks: its Java name, qualified by the device function it
     * belongs to (kernel's arrays are not).
     */
    private int arrayId(Element array) {
        String name = array.getSimpleName().toString();
        checkedArrays.add(function == kernel ? name : function.getSimpleName() + "." + name);
        return checkedArrays.size() - 1;
    }

    /**
     * The C index of an access to {@code array} at {@code site}, through the index check
     * ({@link IndexChecks#index}); a constant index within a local or private array needs none.
     */
    private String checkedIndex(Var array, ExpressionTree index, Tree site) {
        String i = expr(index);
        Long constant = array.kind() == VarKind.NATIVE_ARRAY ? null : intConstant(index);
        if (constant != null && constant >= 0 && constant < array.size()) {
            return i;
        }
        checkedFunctions.add(function);
        return IndexChecks.index(i, array.length(), array.id(), lineOf(site));
    }

    private long lineOf(Tree t) {
        return unit.getLineMap().getLineNumber(trees.getSourcePositions().getStartPosition(unit, t));
    }

    private void comment(Tree t) {
        long line = lineOf(t);
        if (line != lastCommentedLine && line - 1 < sourceLines.length) {
            lastCommentedLine = line;
            // A trailing backslash would continue the C comment onto the next line.
            line("// " + line + ": " + sourceLines[(int) line - 1].strip().replaceAll("\\\\+$", ""));
        }
    }

    private void line(String text) {
        out.append("    ".repeat(indent)).append(text).append('\n');
    }
}
