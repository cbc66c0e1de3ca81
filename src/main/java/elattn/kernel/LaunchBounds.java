package elattn.kernel;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Tells the CUDA compiler the largest work-group a {@link KernelContext} kernel is launched with and
 * how many such work-groups should fit on one multiprocessor at once, as CUDA's
 * {@code __launch_bounds__(maxItems, minGroups)}: without it the compiler is free to use up to 255
 * registers per item to hoist loads, which caps the work-groups per multiprocessor of a
 * register-blocked kernel (e.g. 167 registers: 3 groups of 128 items); with it, it keeps to
 * {@code 65536 / (maxItems * minGroups)} registers, spilling if it must. A CUDA launch with more items
 * fails. OpenCL C has no such hint, so the {@code .cl} is unchanged.
 */
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.METHOD)
public @interface LaunchBounds {
    /** The most work items of a work-group any launch of the kernel uses. */
    int maxItems();

    /** Work-groups of {@code maxItems} items that should be resident on a multiprocessor at once. */
    int minGroups() default 1;
}
