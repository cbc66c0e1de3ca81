package elattn.generate;

import java.util.Arrays;

/**
 * What {@link Generator#generate} returns, shaped as HF transformers' {@code generate} output.
 *
 * @param sequences       rows x width token ids exactly as HF returns {@code sequences}: one row per
 *                        (sentence, returned hypothesis), sentence-major; encoder-decoder rows start
 *                        with the decoder start token, decoder-only rows with the left-padded prompt;
 *                        rows shorter than the longest are filled (pad id; see docs/generation.md)
 * @param sequenceScores  per row HF's {@code sequences_scores} (sum of log-probabilities divided by
 *                        generated length^length_penalty) for beam search; null for greedy search
 * @param generated       per row the generated tokens only (after the prompt or start token, up to
 *                        and including EOS, without fill)
 * @param numReturnSequences rows per input sentence
 */
public record GenerationResult(int[][] sequences, float[] sequenceScores, int[][] generated, int numReturnSequences) {
    /** Number of rows ({@code sentences * numReturnSequences}). */
    public int rows() {
        return sequences.length;
    }

    /** The generated tokens of hypothesis {@code rank} of input sentence {@code sentence}. */
    public int[] generated(int sentence, int rank) {
        return generated[sentence * numReturnSequences + rank];
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("GenerationResult[");
        for (int r = 0; r < sequences.length; r++) {
            b.append(r == 0 ? "" : ", ").append(Arrays.toString(sequences[r]));
            if (sequenceScores != null) {
                b.append(" score ").append(sequenceScores[r]);
            }
        }
        return b.append(']').toString();
    }
}
