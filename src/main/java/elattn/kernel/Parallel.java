package elattn.kernel;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks the index of a {@code for} loop whose iterations are independent, so a device may run them
 * in parallel: {@code for (@Parallel int i = 0; i < n; i++)}. Up to three loops may be nested; each
 * becomes one dimension of the launch range, the innermost loop being dimension 0 (the fastest
 * varying one on a GPU, so {@code c[i * n + j]} with {@code j} innermost reads memory contiguously).
 *
 * <p>The loop must have the form {@code for (@Parallel int i = START; i < END; i++)} (or
 * {@code i <= END}, {@code i += STEP} with a constant step) where START and END use only parameters,
 * constants and {@code array.getSize()}: the runtime evaluates them on the host to size the launch.
 */
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.LOCAL_VARIABLE)
public @interface Parallel {
}
