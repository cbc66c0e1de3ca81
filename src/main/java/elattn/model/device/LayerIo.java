package elattn.model.device;

import elattn.kernel.FloatArray;
import elattn.runtime.IntParam;

/**
 * The working arrays a stack of layers runs through (rows x width each, row-major) and its live
 * row count: the decoder's for one step, or the encoder's for the source positions of one chunk of
 * sentences.
 * Arrays a stack does not use are null (the encoder has no pre-norm and no EL arrays).
 *
 * @param x        the residual stream, updated in place by every layer
 * @param normed   pre-norm: the layer norm of x that a sublayer reads
 * @param q        query projection
 * @param k        MHA: this step's key projection
 * @param v        MHA: this step's value projection
 * @param expanded EL: expanded queries (rows x heads x d)
 * @param context  EL: per-head weighted sums of states (rows x heads x d)
 * @param attended the heads concatenated, before the output projection
 * @param y        a sublayer's output, before the residual add
 * @param hidden   the feed-forward inner activations (rows x ffn)
 * @param scores   attention probabilities (rows x heads x key stride)
 */
record LayerIo(FloatArray x, FloatArray normed, FloatArray q, FloatArray k, FloatArray v, FloatArray expanded,
        FloatArray context, FloatArray attended, FloatArray y, FloatArray hidden, FloatArray scores, IntParam rows,
        IntParam rowsTimesD, IntParam rowsTimesFfn) {
}
