package elattn.compiler;

import com.sun.source.tree.AnnotationTree;
import com.sun.source.tree.BinaryTree;
import com.sun.source.tree.BlockTree;
import com.sun.source.tree.CompoundAssignmentTree;
import com.sun.source.tree.ExpressionStatementTree;
import com.sun.source.tree.ExpressionTree;
import com.sun.source.tree.ForLoopTree;
import com.sun.source.tree.IdentifierTree;
import com.sun.source.tree.MemberSelectTree;
import com.sun.source.tree.PrimitiveTypeTree;
import com.sun.source.tree.StatementTree;
import com.sun.source.tree.Tree;
import com.sun.source.tree.UnaryTree;
import com.sun.source.tree.VariableTree;
import com.sun.source.util.TreeScanner;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.lang.model.type.TypeKind;

/**
 * One {@code for (@Parallel int i = START; i < END; i += STEP)} loop, or a descending one
 * ({@code i > END; i -= STEP}), read from the syntax tree alone so that both compiler phases (the
 * Java form, generated while processing, and the C translation, made from attributed trees) agree
 * on what is a parallel loop and what its bounds are.
 *
 * @param loop       the loop
 * @param index      the loop variable's name
 * @param start      START
 * @param end        END
 * @param inclusive  whether the condition is {@code i <= END} ({@code i >= END} descending)
 * @param step       STEP, or null for {@code i++} ({@code i--})
 * @param descending whether the index falls from START ({@code i > END}, {@code i--}, {@code i -= STEP})
 */
record ParallelLoop(ForLoopTree loop, String index, ExpressionTree start, ExpressionTree end, boolean inclusive,
        ExpressionTree step, boolean descending) {

    /** What the loop header must look like, quoted in errors. */
    static final String FORM = "for (@Parallel int i = START; i < END; i++) (or i <= END, i += CONSTANT; or falling:"
            + " i > END or i >= END with i-- or i -= CONSTANT)";

    /** Whether {@code variable} carries the {@code @Parallel} annotation (by simple or qualified name). */
    static boolean isParallel(VariableTree variable) {
        return annotated(variable, "Parallel");
    }

    /** Whether {@code loop} declares an {@code @Unroll} index (a sequential loop to unroll completely). */
    static boolean isUnrolled(ForLoopTree loop) {
        return loop.getInitializer().stream().anyMatch(s -> s instanceof VariableTree v && annotated(v, "Unroll"));
    }

    private static boolean annotated(VariableTree variable, String annotation) {
        for (AnnotationTree a : variable.getModifiers().getAnnotations()) {
            Tree type = a.getAnnotationType();
            String name = type instanceof IdentifierTree id ? id.getName().toString()
                    : type instanceof MemberSelectTree ms ? ms.getIdentifier().toString() : "";
            if (name.equals(annotation)) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code loop} declares a {@code @Parallel} index, whatever the rest of its header. */
    static boolean isParallel(ForLoopTree loop) {
        return loop.getInitializer().stream()
                .anyMatch(s -> s instanceof VariableTree v && isParallel(v));
    }

    /** The {@code @Parallel} loops in {@code tree}, in source order (outer loops first). */
    static List<ForLoopTree> find(Tree tree) {
        List<ForLoopTree> found = new ArrayList<>();
        new TreeScanner<Void, Void>() {
            @Override
            public Void visitForLoop(ForLoopTree node, Void unused) {
                if (isParallel(node)) {
                    found.add(node);
                }
                return super.visitForLoop(node, unused);
            }
        }.scan(tree, null);
        return found;
    }

    /**
     * Reads the header of a {@code @Parallel} loop.
     *
     * @return the loop, or null if the header does not have the supported form (see {@link #FORM})
     */
    static ParallelLoop parse(ForLoopTree loop) {
        if (loop.getInitializer().size() != 1 || !(loop.getInitializer().get(0) instanceof VariableTree v)
                || !(v.getType() instanceof PrimitiveTypeTree p) || p.getPrimitiveTypeKind() != TypeKind.INT
                || v.getInitializer() == null) {
            return null;
        }
        String index = v.getName().toString();
        if (!(loop.getCondition() instanceof BinaryTree cond) || !isName(cond.getLeftOperand(), index)) {
            return null;
        }
        boolean rising = cond.getKind() == Tree.Kind.LESS_THAN || cond.getKind() == Tree.Kind.LESS_THAN_EQUAL;
        boolean falling = cond.getKind() == Tree.Kind.GREATER_THAN || cond.getKind() == Tree.Kind.GREATER_THAN_EQUAL;
        if (!rising && !falling || loop.getUpdate().size() != 1) {
            return null;
        }
        ExpressionStatementTree update = loop.getUpdate().get(0);
        Tree.Kind post = rising ? Tree.Kind.POSTFIX_INCREMENT : Tree.Kind.POSTFIX_DECREMENT;
        Tree.Kind pre = rising ? Tree.Kind.PREFIX_INCREMENT : Tree.Kind.PREFIX_DECREMENT;
        Tree.Kind compound = rising ? Tree.Kind.PLUS_ASSIGNMENT : Tree.Kind.MINUS_ASSIGNMENT;
        ExpressionTree step;
        if (update.getExpression() instanceof UnaryTree u && (u.getKind() == post || u.getKind() == pre)
                && isName(u.getExpression(), index)) {
            step = null;
        } else if (update.getExpression() instanceof CompoundAssignmentTree c && c.getKind() == compound
                && isName(c.getVariable(), index)) {
            step = c.getExpression();
        } else {
            return null;
        }
        return new ParallelLoop(loop, index, v.getInitializer(), cond.getRightOperand(),
                cond.getKind() == Tree.Kind.LESS_THAN_EQUAL || cond.getKind() == Tree.Kind.GREATER_THAN_EQUAL, step,
                falling);
    }

    /**
     * Checks that the {@code @Parallel} loops of a kernel (in source order) form one nest of at most
     * three loops, each inside the body of the previous one.
     *
     * @return the position in {@code loops} of the first loop that breaks the rule, or -1
     */
    static int firstOutsideNest(List<ForLoopTree> loops) {
        for (int k = 1; k < loops.size(); k++) {
            if (k >= 3 || !contains(loops.get(k - 1).getStatement(), loops.get(k))) {
                return k;
            }
        }
        return -1;
    }

    private static boolean contains(Tree tree, Tree wanted) {
        Boolean found = new TreeScanner<Boolean, Void>() {
            @Override
            public Boolean scan(Tree node, Void unused) {
                return node == wanted || Boolean.TRUE.equals(super.scan(node, unused));
            }

            @Override
            public Boolean reduce(Boolean a, Boolean b) {
                return Boolean.TRUE.equals(a) || Boolean.TRUE.equals(b);
            }
        }.scan(tree, null);
        return Boolean.TRUE.equals(found);
    }

    /**
     * The locals a {@code @Parallel} loop's bounds may name besides the parameters: variables declared
     * (with an initializer) by the top-level statements of the kernel body before the one that holds
     * the outermost loop, by name. Whether each is a valid bound (never assigned, its initializer a
     * valid bound) is checked with the attributed trees ({@code CTranslator}).
     */
    static Map<String, VariableTree> boundLocals(BlockTree body, ForLoopTree outer) {
        Map<String, VariableTree> locals = new LinkedHashMap<>();
        for (StatementTree s : body.getStatements()) {
            if (s == outer || contains(s, outer)) {
                break;
            }
            if (s instanceof VariableTree v && v.getInitializer() != null) {
                locals.put(v.getName().toString(), v);
            }
        }
        return locals;
    }

    /** The loop body. */
    StatementTree body() {
        return loop.getStatement();
    }

    private static boolean isName(ExpressionTree e, String name) {
        return e instanceof IdentifierTree id && id.getName().contentEquals(name);
    }
}
