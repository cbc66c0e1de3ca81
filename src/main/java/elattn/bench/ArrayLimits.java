package elattn.bench;

import elattn.model.ModelConfig;
import elattn.model.device.AttentionMode;
import elattn.model.device.DeviceModel;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Whether a batch of a shape stays within what one device array can index: the device graphs
 * address every array with 32-bit ints ({@code FloatArray} lengths are ints), so an array of more
 * than {@link Integer#MAX_VALUE} elements cannot be built, and a size that overflows to a small
 * number would let kernels write past its end. The benchmark asks this before running a batch
 * and reports such a batch as too large instead of running it.
 *
 * <p>The device model refuses such a batch itself ({@code Buffers.size}), but only after the batch
 * has started; this predicts it from the shape alone, without allocating, so the largest-batch
 * search can skip sizes that cannot be built. The sizes mirror the largest arrays of
 * {@code elattn.model.device.Buffers} (upper bounds where the layout depends on the search); the
 * encoder's scratch is sized for one run over {@link DeviceModel#encoderChunkSentences} sentences,
 * so only a single sentence too long for it (or a whole batch's encoder output) is refused there.
 */
public final class ArrayLimits {
    private ArrayLimits() {
    }

    /** Why a batch of {@code sentences} does not fit 32-bit indexing, or empty when it does. */
    public static Optional<String> check(Shape shape, AttentionMode mode, int sentences) {
        for (Map.Entry<String, Long> e : largestArrays(shape, mode, sentences).entrySet()) {
            if (e.getValue() > Integer.MAX_VALUE) {
                return Optional.of(e.getKey() + " would have " + e.getValue() + " elements, more than the "
                        + Integer.MAX_VALUE + " a device array can index (32-bit)");
            }
        }
        return Optional.empty();
    }

    /** The largest batch that passes {@link #check}, at most {@code cap} (0 when not even one sentence does). */
    public static int largestBatch(Shape shape, AttentionMode mode, int cap) {
        int lo = 0;
        int hi = cap + 1;
        while (hi - lo > 1) {
            int mid = (int) (((long) lo + hi) >>> 1);
            if (check(shape, mode, mid).isEmpty()) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** Element counts of the arrays that grow fastest with the batch, by the name reports use. */
    static Map<String, Long> largestArrays(Shape shape, AttentionMode mode, int sentences) {
        ModelConfig c = shape.config();
        long s = sentences;
        long rows = s * shape.beams();
        long d = c.dModel();
        long steps = shape.maxSteps();
        long width = c.encoderDecoder() ? shape.inputWidth() : 0;
        Map<String, Long> sizes = new LinkedHashMap<>();
        if (c.encoderDecoder()) {
            long chunk = DeviceModel.encoderChunkSentences(c, shape.inputWidth(), sentences);
            sizes.put("the encoder output (sentences x source x d)", s * width * d);
            sizes.put("the encoder's attention scores of one run (" + chunk + " sentences x source x heads x source)",
                    chunk * width * c.encoderHeads() * width);
            sizes.put("the encoder's feed-forward activations of one run (" + chunk + " sentences x source x ffn)",
                    chunk * width * c.encoderFfn());
            if (mode == AttentionMode.MHA) {
                sizes.put("MHA's per-beam encoder output and cross keys/values (rows x source x d)", rows * width * d);
            }
        }
        if (!c.encoderDecoder() && c.preNorm()) {
            // The prompt read in one pass (PrefillGraph): every prompt position before the last of
            // every sentence (one prompt row per sentence in EL; the search's start rows in MHA,
            // at most one per beam) are rows, each with a causal key list.
            long promptRows = (mode == AttentionMode.EL ? s : rows) * (shape.inputWidth() - 1);
            sizes.put("the prefill's attention scores (prompt rows x heads x prompt)",
                    promptRows * c.decoderHeads() * (shape.inputWidth() - 1));
            sizes.put("the prefill's feed-forward activations (prompt rows x ffn)", promptRows * c.decoderFfn());
        }
        sizes.put("the decoder's attention scores (rows x heads x keys)", rows * c.decoderHeads() * Math.max(width, steps));
        sizes.put("the logits (rows x vocab)", rows * c.vocabSize());
        if (mode == AttentionMode.EL) {
            sizes.put("EL's expanded queries (rows x heads x d)", rows * c.decoderHeads() * d);
        }
        sizes.put("a layer's self-attention history (steps x rows x d)", steps * rows * d);
        sizes.put("the banned-token table (rows x (steps + 8))", rows * (steps + 8));
        return sizes;
    }
}
