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
}
