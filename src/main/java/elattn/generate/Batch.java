package elattn.generate;

/**
 * The prompts of one generation call as token ids with their attention masks, padded to one
 * width: right-padded for encoder-decoder models (the encoder input), left-padded for decoder-only
 * models (so every prompt ends at the last column), as HF transformers pads them.
 *
 * @param inputIds      sentences x width token ids
 * @param attentionMask sentences x width, 1 for a real token and 0 for padding
 */
public record Batch(int[][] inputIds, int[][] attentionMask) {
    public Batch {
        if (inputIds.length == 0) {
            throw new IllegalArgumentException("a batch needs at least one sentence");
        }
        if (inputIds.length != attentionMask.length) {
            throw new IllegalArgumentException(inputIds.length + " inputs but " + attentionMask.length + " masks");
        }
        for (int s = 0; s < inputIds.length; s++) {
            if (inputIds[s].length != inputIds[0].length || attentionMask[s].length != inputIds[0].length) {
                throw new IllegalArgumentException("sentence " + s + " is not padded to the batch width "
                        + inputIds[0].length);
            }
        }
    }

    public int sentences() {
        return inputIds.length;
    }

    public int width() {
        return inputIds[0].length;
    }

    /** Number of real (unpadded) tokens of a sentence. */
    public int length(int sentence) {
        int n = 0;
        for (int m : attentionMask[sentence]) {
            n += m;
        }
        return n;
    }
}
