package elattn.kernel;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Asks the device compiler to unroll a sequential {@code for} loop completely:
 * {@code for (@Unroll int t = 0; t < TILES; t++)} becomes {@code #pragma unroll} before the C loop.
 * For loops with a constant trip count whose index selects elements of a private array (the
 * accumulators of mma tiles): unrolled, every index is a constant and the array stays in
 * registers; left as a loop, a compiler that declines to unroll it (a long body, say guarded
 * stores) keeps the whole array in local memory around it. Java ignores it.
 */
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.LOCAL_VARIABLE)
public @interface Unroll {
}
