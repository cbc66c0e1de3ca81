package elattn.tasks;

import elattn.kernel.FloatArray;
import elattn.kernel.Parallel;

/**
 * Residual connection, {@code x += y} over the first {@code n} elements. Post-norm blocks (BART,
 * Marian) can use {@link LayerNorm#residualRows} instead, which adds and normalises in one pass.
 */
public final class Residual {
    private Residual() {
    }

    /** {@code x[i] += y[i]} for {@code i < n}. Loop form: any launch size. */
    public static void add(FloatArray x, FloatArray y, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            x.set(i, x.get(i) + y.get(i));
        }
    }
}
