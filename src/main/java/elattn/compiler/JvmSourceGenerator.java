package elattn.compiler;

import com.sun.source.tree.ClassTree;
import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.ExpressionTree;
import com.sun.source.tree.IdentifierTree;
import com.sun.source.tree.ImportTree;
import com.sun.source.tree.MemberSelectTree;
import com.sun.source.tree.MethodInvocationTree;
import com.sun.source.tree.MethodTree;
import com.sun.source.tree.Tree;
import com.sun.source.tree.VariableTree;
import com.sun.source.util.SourcePositions;
import com.sun.source.util.TreeScanner;
import com.sun.source.util.Trees;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.PackageElement;
import javax.lang.model.element.TypeElement;

/**
 * Writes the Java form of a class's {@code @Parallel} kernels: the class {@code <Owner>$$Jvm} with one
 * {@code elattn.runtime.JvmKernel} per kernel, for the JVM backend and for sizing launches.
 *
 * <p>It runs while annotations are processed, when trees are not yet attributed (sources generated
 * later are not compiled), so it works on source text: the kernel body is copied as written and only
 * the outermost {@code @Parallel} loop header is rewritten, so that {@code run(args, from, to)} runs
 * its iterations {@code [from, to)}; {@code range(args)} evaluates the loops' bounds. Imports, and the
 * static fields and static methods the kernels use by simple name, are copied along, so private
 * constants and helpers work unchanged. Copied code stands at its line in the owner's source file.
 */
final class JvmSourceGenerator {
    private final Trees trees;
    private final SourcePositions positions;
    private final CompilationUnitTree unit;
    private final String source;

    JvmSourceGenerator(Trees trees, CompilationUnitTree unit) {
        this.trees = trees;
        this.positions = trees.getSourcePositions();
        this.unit = unit;
        try {
            this.source = unit.getSourceFile().getCharContent(true).toString();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + unit.getSourceFile().getName(), e);
        }
    }

    /**
     * The source of {@code <owner>$$Jvm}.
     *
     * @param kernels the owner's {@code @Parallel} kernels, each with its loop nest (outermost first)
     */
    String generate(TypeElement owner, String binaryName, List<Kernel> kernels) {
        String simpleName = binaryName.substring(binaryName.lastIndexOf('.') + 1);
        List<Chunk> chunks = new ArrayList<>();
        kernels.forEach(k -> chunks.add(runMethod(k)));
        for (Tree member : copiedMembers(owner, kernels)) {
            chunks.add(new Chunk(positions.getStartPosition(unit, member), indentFirstLine(member)));
        }
        chunks.sort(Comparator.comparingLong(Chunk::position));
        LineWriter out = new LineWriter();
        out.append(header(owner, simpleName, chunks.isEmpty() ? Long.MAX_VALUE : lineOf(chunks.get(0).position())));
        for (Chunk c : chunks) {
            out.appendAtLine(lineOf(c.position()), c.text());
        }
        out.append("\n");
        for (Kernel k : kernels) {
            appendKernelField(out, k);
        }
        out.append("""

                    /** Iterations of {@code for (i = start; i < end; i += step)}. */
                    private static long $count(long start, long end, long step) {
                        return start < end ? (end - start + step - 1) / step : 0;
                    }
                }
                """);
        return out.toString();
    }

    /** A kernel method and its {@code @Parallel} loops, outermost first. */
    /** A kernel, {@code name} its name in the generated class ({@code elattn.runtime.Kernel#kernelName}). */
    record Kernel(MethodTree method, String name, List<ParallelLoop> loops) {
    }

    /** Code copied from the owner's source, to stand at the line where {@code position} is. */
    private record Chunk(long position, String text) {
    }

    /**
     * Output that keeps each chunk of copied code at its line in the owner's source, so that stack
     * traces through the Java form name the kernel's own lines (the JVM backend reports an index out
     * of range at its line, as devices do).
     */
    private static final class LineWriter {
        private final StringBuilder out = new StringBuilder();
        private long line = 1;

        void append(String text) {
            out.append(text);
            line += text.chars().filter(c -> c == '\n').count();
        }

        /** Appends {@code text} starting at {@code target}, or on the next line if output is already past it. */
        void appendAtLine(long target, String text) {
            append(line < target ? "\n".repeat((int) (target - line)) : "\n");
            append(text);
        }

        @Override
        public String toString() {
            return out.toString();
        }
    }

    /**
     * Package, imports and class header, on few enough lines to end before {@code firstLine} (the
     * first copied code): as written when they fit, else on one line.
     */
    private String header(TypeElement owner, String simpleName, long firstLine) {
        PackageElement pkg = packageOf(owner);
        List<String> parts = new ArrayList<>();
        if (!pkg.isUnnamed()) {
            parts.add("package " + pkg.getQualifiedName() + ";\n");
        }
        for (ImportTree imp : unit.getImports()) {
            parts.add(text(imp).replace('\n', ' '));
        }
        parts.add("\n/**\n * The Java form of the {@code @Parallel} kernels of {@link " + owner.getQualifiedName()
                + "}, for the JVM backend:\n * copied code keeps its line numbers. Generated by elattn.compiler.KernelProcessor;"
                + " do not edit.\n */");
        parts.add("public final class " + simpleName + " {");
        parts.add("    private " + simpleName + "() {\n    }");
        String readable = String.join("\n", parts);
        boolean fits = readable.chars().filter(c -> c == '\n').count() + 1 < firstLine;
        return fits ? readable : String.join(" ", parts.stream().map(p -> p.replaceAll("\\s*\n\\s*", " ")).toList());
    }

    private void appendKernelField(LineWriter out, Kernel k) {
        MethodTree m = k.method();
        String name = k.name();
        List<String> unpacked = new ArrayList<>();
        List<String> declared = new ArrayList<>();
        for (int i = 0; i < m.getParameters().size(); i++) {
            VariableTree p = m.getParameters().get(i);
            String type = p.getType().toString();
            String boxed = switch (type) {
                case "int" -> "Integer";
                case "long" -> "Long";
                case "float" -> "Float";
                default -> type;
            };
            unpacked.add("(" + boxed + ") args[" + i + "]");
            declared.add(text(p));
        }
        String args = String.join(", ", unpacked);
        String params = String.join(", ", declared);
        StringBuilder field = new StringBuilder();
        field.append("\n    /** {@code ").append(name).append("} run on the JVM. */\n")
                .append("    public static final elattn.runtime.JvmKernel ").append(name)
                .append(" = new elattn.runtime.JvmKernel() {\n")
                .append("        @Override\n        public long[] range(Object[] args) {\n")
                .append("            return ").append(name).append("$range(").append(args).append(");\n        }\n\n")
                .append("        @Override\n        public void run(Object[] args, long from, long to) {\n")
                .append("            ").append(name).append("$run(from, to").append(args.isEmpty() ? "" : ", ")
                .append(args).append(");\n        }\n    };\n");

        field.append("\n    private static long[] ").append(name).append("$range(").append(params).append(") {\n")
                .append("        return new long[] {");
        List<ParallelLoop> innermostFirst = new ArrayList<>(k.loops());
        java.util.Collections.reverse(innermostFirst);
        List<String> counts = new ArrayList<>();
        Map<String, VariableTree> locals = ParallelLoop.boundLocals(m.getBody(), k.loops().get(0).loop());
        for (ParallelLoop loop : innermostFirst) {
            // Falling from START to END counts as rising from END to START (inclusive: from END - 1).
            String start = boundText(loop.start(), locals);
            String end = boundText(loop.end(), locals);
            String from = loop.descending() ? "(long) (" + end + ")" + (loop.inclusive() ? " - 1L" : "") : start;
            String to = loop.descending() ? start : end + (loop.inclusive() ? " + 1L" : "");
            counts.add("$count(" + from + ", " + to + ", " + step(loop) + ")");
        }
        field.append(String.join(",\n                ", counts)).append("};\n    }\n");
        out.append(field.toString());
    }

    /**
     * {@code <kernel>$run(from, to, params)}: the kernel's body as written, with the outermost
     * {@code @Parallel} loop's header rewritten to run iterations {@code [from, to)} (on as many lines
     * as the original header), placed at the body's line.
     */
    private Chunk runMethod(Kernel k) {
        MethodTree m = k.method();
        String params = String.join(", ", m.getParameters().stream().map(this::text).toList());
        ParallelLoop outer = k.loops().get(0);
        long bodyStart = positions.getStartPosition(unit, m.getBody());
        long headerStart = positions.getStartPosition(unit, outer.loop());
        long loopBodyStart = positions.getStartPosition(unit, outer.body());
        long loopBodyEnd = positions.getEndPosition(unit, outer.body());
        long bodyEnd = positions.getEndPosition(unit, m.getBody());
        String headerLines = "\n".repeat((int) source.substring((int) headerStart, (int) loopBodyStart).chars()
                .filter(c -> c == '\n').count());
        String header = "for (long $it = $from; $it < $to; $it++) { int " + outer.index() + " = (int) ((" + text(outer.start())
                + ") " + (outer.descending() ? "-" : "+") + " $it" + (outer.step() == null ? "" : " * " + step(outer))
                + "); " + headerLines;
        String text = "    private static void " + k.name() + "$run(long $from, long $to" + (params.isEmpty() ? "" : ", ")
                + params + ") " + source.substring((int) bodyStart, (int) headerStart) + header
                + source.substring((int) loopBodyStart, (int) loopBodyEnd) + " }"
                + source.substring((int) loopBodyEnd, (int) bodyEnd);
        return new Chunk(bodyStart, text);
    }

    private long lineOf(long position) {
        return unit.getLineMap().getLineNumber(position);
    }

    private String step(ParallelLoop loop) {
        return loop.step() == null ? "1L" : "(long) (" + text(loop.step()) + ")";
    }

    /**
     * The static fields and methods of the owner (and its enclosing classes) that the kernels use by
     * simple name, directly or through other copied members, in source order.
     */
    private List<Tree> copiedMembers(TypeElement owner, List<Kernel> kernels) {
        List<Tree> candidates = new ArrayList<>();
        for (Element type = owner; type != null && type.getKind().isDeclaredType(); type = type.getEnclosingElement()) {
            ClassTree cls = trees.getTree((TypeElement) type);
            for (Tree member : cls.getMembers()) {
                if (member instanceof VariableTree v && v.getModifiers().getFlags().contains(Modifier.STATIC)
                        || member instanceof MethodTree mt && mt.getModifiers().getFlags().contains(Modifier.STATIC)
                        && kernels.stream().noneMatch(k -> k.method() == mt)) {
                    candidates.add(member);
                }
            }
        }
        Set<Tree> copied = new LinkedHashSet<>();
        Deque<Tree> work = new ArrayDeque<>();
        kernels.forEach(k -> work.add(k.method()));
        while (!work.isEmpty()) {
            Set<String> used = namesUsed(work.pop());
            for (Tree c : candidates) {
                if (!copied.contains(c) && used.contains(memberName(c))) {
                    copied.add(c);
                    work.add(c);
                }
            }
        }
        List<Tree> ordered = new ArrayList<>(copied);
        ordered.sort(Comparator.comparingLong(t -> positions.getStartPosition(unit, t)));
        return ordered;
    }

    private static String memberName(Tree member) {
        return member instanceof VariableTree v ? v.getName().toString() : ((MethodTree) member).getName().toString();
    }

    private static Set<String> namesUsed(Tree tree) {
        Set<String> names = new LinkedHashSet<>();
        new TreeScanner<Void, Void>() {
            @Override
            public Void visitIdentifier(IdentifierTree node, Void unused) {
                names.add(node.getName().toString());
                return null;
            }

            @Override
            public Void visitMethodInvocation(MethodInvocationTree node, Void unused) {
                ExpressionTree select = node.getMethodSelect();
                if (select instanceof IdentifierTree id) {
                    names.add(id.getName().toString());
                }
                return super.visitMethodInvocation(node, unused);
            }
        }.scan(tree, null);
        return names;
    }

    /**
     * A bound's source with each local it names ({@link ParallelLoop#boundLocals}) replaced by that
     * local's initializer, itself expanded, in parentheses: an expression of the parameters alone.
     */
    private String boundText(ExpressionTree bound, Map<String, VariableTree> locals) {
        int start = (int) positions.getStartPosition(unit, bound);
        StringBuilder out = new StringBuilder(text(bound));
        List<IdentifierTree> names = new ArrayList<>();
        new TreeScanner<Void, Void>() {
            @Override
            public Void visitIdentifier(IdentifierTree node, Void unused) {
                if (locals.containsKey(node.getName().toString())) {
                    names.add(node);
                }
                return null;
            }

            @Override
            public Void visitMemberSelect(MemberSelectTree node, Void unused) {
                return scan(node.getExpression(), null); // a.getSize(): a may be a local's name, getSize not
            }
        }.scan(bound, null);
        names.sort(Comparator.comparingLong((IdentifierTree id) -> positions.getStartPosition(unit, id)).reversed());
        for (IdentifierTree id : names) {
            int from = (int) positions.getStartPosition(unit, id) - start;
            int to = (int) positions.getEndPosition(unit, id) - start;
            out.replace(from, to, "(" + boundText(locals.get(id.getName().toString()).getInitializer(), locals) + ")");
        }
        return out.toString();
    }

    private String text(Tree tree) {
        return source.substring((int) positions.getStartPosition(unit, tree), (int) positions.getEndPosition(unit, tree));
    }

    /** The member's source, its first line indented like the rest (the copy starts at its first token). */
    private String indentFirstLine(Tree member) {
        int start = (int) positions.getStartPosition(unit, member);
        int lineStart = source.lastIndexOf('\n', start - 1) + 1;
        return " ".repeat(start - lineStart) + text(member);
    }

    private static PackageElement packageOf(Element e) {
        while (e.getKind() != ElementKind.PACKAGE) {
            e = e.getEnclosingElement();
        }
        return (PackageElement) e;
    }
}
