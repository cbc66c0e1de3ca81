package elattn.generate;

/**
 * A language model as generation sees it: it takes a batch of prompts once, then advances every
 * live hypothesis ("row") by one token per step and returns each row's best next tokens. The
 * logits never leave the model (on a GPU they stay on the device): only the few candidates per row
 * that the search needs come back, with the step's constraints applied first.
 *
 * <p>Rows: {@link #start} makes {@code rowsPerSentence} rows per sentence, numbered sentence-major
 * ({@code row = sentence * rowsPerSentence + beam}); beam search starts with one row per sentence
 * (all beams are equal before the first token) and widens to its beams through the parents of the
 * first {@link #next} call, where one parent may have several children. Each {@link #next}
 * call names, for every row of the new step, the token it appends and its parent row in the
 * previous step's numbering. So rows are reordered (beam search keeps the best children, possibly
 * several of one parent) and sentences leave the batch (their rows are simply not named any more)
 * through the parents alone; a row's sentence is its parent's sentence.
 *
 * <p>Scores are HF transformers' beam-search scores before the running beam score is added:
 * {@code log_softmax(logits)} of the row, then the constraints (a banned token gets
 * {@code -inf}; a forced token gets 0 and every other token {@code -inf}).
 */
public interface StepModel extends AutoCloseable {
    /** Size of the output vocabulary (the logits' width). */
    int vocabSize();

    /**
     * The longest decoder sequence a row may reach (tokens including the prompt or the start
     * token): the model's positions, or what its caches were sized for. Generation checks its
     * lengths against it before the first step. Default: no limit.
     */
    default int maxLength() {
        return Integer.MAX_VALUE;
    }

    /**
     * The most candidates per row a step can return ({@link StepRequest#topK()}); generation
     * refuses a config that needs more ({@link GenerationConfig#validateFor}). Default: no limit.
     */
    default int maxTopK() {
        return Integer.MAX_VALUE;
    }

    /**
     * Takes a batch and returns the candidates of the first step. Encoder-decoder models encode
     * the inputs and feed {@code decoderStartTokenId} to the decoder; decoder-only models read the
     * prompts (left-padded) and score the token after the last one.
     */
    Candidates start(Batch batch, int rowsPerSentence, StepRequest request);

    /**
     * Appends {@code tokens[r]} to the history of {@code parents[r]} to make row {@code r}, for
     * every row of the new step, and returns the candidates of the step after it.
     */
    Candidates next(int[] tokens, int[] parents, StepRequest request);

    /** Frees the batch's state (device memory); the model can {@link #start} again. */
    @Override
    void close();
}
