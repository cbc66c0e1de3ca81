package elattn.generate;

/**
 * What the search asks of one step: how many candidates per row, and the logits processors'
 * decisions for this step expressed as data the model applies where the logits are (on the
 * device), so no logits travel to the host.
 *
 * @param topK          candidates per row to return, best first (1 for greedy)
 * @param forcedToken   per row, a token that must come next (HF's forced BOS/EOS), or -1
 * @param bannedRows    with {@code bannedTokens}: pairs (row, token) whose score becomes -inf
 *                      (no_repeat_ngram_size, min length's EOS ban, bad_words_ids)
 * @param bannedTokens  the tokens of those pairs
 * @param keepLogits    whether the step keeps the raw logits of every row for {@link Candidates#logits}
 *                      (for tests and debugging; it copies rows x vocab floats to the host)
 */
public record StepRequest(int topK, int[] forcedToken, int[] bannedRows, int[] bannedTokens, boolean keepLogits) {
    public StepRequest {
        if (topK < 1) {
            throw new IllegalArgumentException("topK must be at least 1, not " + topK);
        }
        if (bannedRows.length != bannedTokens.length) {
            throw new IllegalArgumentException("banned rows and tokens differ in length");
        }
    }
}
