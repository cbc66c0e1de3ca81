package elattn.bench;

import java.util.Arrays;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;

/**
 * Finds the largest batch that fits: doubling from a batch known or guessed to fit until one does
 * not, then bisection between the last fit and the first miss, until the gap is at most
 * {@code resolution} of the fitting batch (or 1). Probes are expensive (each starts a generation on
 * the device), so the search stops early, with what it has, when time runs out.
 */
public final class LargestBatch {
    private LargestBatch() {
    }

    /** Whether one batch fitted, and if not why. */
    public record Probe(boolean fits, String reason) {
        public static Probe fit() {
            return new Probe(true, null);
        }

        public static Probe miss(String reason) {
            return new Probe(false, reason);
        }
    }

    /**
     * What the search found.
     *
     * @param largest  the largest batch that fitted (0: none did)
     * @param smallestMiss the smallest batch that did not fit, or -1 when none failed up to the cap
     * @param reason   why {@code smallestMiss} did not fit (or why the search stopped at the cap)
     * @param complete false when time ran out before the gap closed: {@code largest} is then a lower bound
     * @param probes   batches probed, in order
     */
    public record Result(int largest, int smallestMiss, String reason, boolean complete, int[] probes) {
    }

    /**
     * @param first      the first batch to probe
     * @param cap        the largest batch to consider; reaching it ends the search
     * @param capReason  why nothing above the cap is tried (reported when the cap fits)
     * @param resolution stop bisecting when {@code miss - fit <= max(1, fit * resolution)}
     * @param probe      runs one batch
     * @param outOfTime  checked before every probe
     */
    public static Result search(int first, int cap, String capReason, double resolution, IntFunction<Probe> probe,
            BooleanSupplier outOfTime) {
        if (cap < 1) {
            return new Result(0, 1, capReason, true, new int[0]);
        }
        int fit = 0;
        int miss = -1;
        String reason = null;
        int[] probes = new int[0];
        int b = Math.clamp(first, 1, cap);
        while (true) {
            if (outOfTime.getAsBoolean()) {
                return new Result(fit, miss, reason, false, probes);
            }
            probes = Arrays.copyOf(probes, probes.length + 1);
            probes[probes.length - 1] = b;
            Probe p = probe.apply(b);
            if (p.fits()) {
                fit = b;
            } else {
                miss = b;
                reason = p.reason();
            }
            if (miss < 0) {
                if (fit == cap) {
                    return new Result(fit, -1, capReason, true, probes);
                }
                b = (int) Math.min(2L * b, cap);
                continue;
            }
            if (miss - fit <= Math.max(1, (int) (fit * resolution))) {
                return new Result(fit, miss, reason, true, probes);
            }
            b = (fit + miss) >>> 1;
        }
    }
}
