package elattn.generate;

/**
 * The best next tokens of every row of one step, best first, with their scores (see
 * {@link StepModel} for what a score is). Equal scores are ordered by the lower token id first.
 *
 * @param topK   candidates per row
 * @param tokens rows x topK token ids, row-major
 * @param scores rows x topK scores, row-major
 * @param logits rows x vocab raw logits when the request kept them, else null
 */
public record Candidates(int topK, int[] tokens, float[] scores, float[] logits) {
    public int rows() {
        return tokens.length / topK;
    }

    public int token(int row, int rank) {
        return tokens[row * topK + rank];
    }

    public float score(int row, int rank) {
        return scores[row * topK + rank];
    }

    /**
     * This, after checking that every row's best candidate is a scored token of the vocabulary. A
     * model selects no token (id -1) or a NaN score only where a row's logits are NaN: non-finite
     * weights, or activations that overflowed. The search cannot go on from such a row.
     *
     * @param length the decoder length the candidates extend (for the message)
     * @throws IllegalStateException naming the row and what to check
     */
    Candidates requireScored(int vocabSize, int length) {
        for (int row = 0; row < rows(); row++) {
            int token = token(row, 0);
            if (token < 0 || token >= vocabSize || Float.isNaN(score(row, 0))) {
                throw new IllegalStateException("the model scored no token for row " + row + " after " + length
                        + " decoder tokens (best candidate: token " + token + ", score " + score(row, 0) + "): its"
                        + " logits are not finite; the weights may hold NaN or infinite values (load them with the"
                        + " weight check on) or the activations overflow");
            }
        }
        return this;
    }
}
