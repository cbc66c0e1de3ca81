package elattn.model;

import elattn.generate.Batch;
import elattn.generate.Candidates;
import elattn.generate.StepModel;
import elattn.generate.StepRequest;
import elattn.kernel.FloatArray;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The independent check of everything that runs a model: a plain-Java forward pass in double
 * precision with standard multi-head attention, written from HF transformers' model code and
 * nothing else of this project but the loaded weights. It recomputes each row's whole decoder
 * history every step (no cache), which is slow but leaves nothing to get wrong; the oracle models
 * are tiny.
 *
 * <p>Encoder-decoder: the encoder input is right-padded and its mask hides the padded keys from the
 * encoder's self-attention and the decoder's cross-attention; the decoder starts from
 * {@code decoderStartTokenId} at position 0. Decoder-only (GPT-2): prompts are left-padded; a
 * token's position is the number of real tokens before it (HF's {@code cumsum(mask) - 1}; pads get
 * 0) and the prompt mask hides padded keys from every later query.
 */
public final class ReferenceModel implements StepModel {
    private final ModelConfig config;
    private final ModelWeights<FloatArray> weights;
    private final Map<FloatArray, double[]> doubles = new IdentityHashMap<>();

    /** One hypothesis: its sentence and every token the decoder has read, prompt included (GPT-2). */
    private record Row(int sentence, int[] tokens) {
    }

    private Batch batch;
    private double[][][] encoderStates;
    private List<Row> rows = List.of();

    public ReferenceModel(ModelConfig config, ModelWeights<FloatArray> weights) {
        this.config = config;
        this.weights = weights;
    }

    @Override
    public int vocabSize() {
        return config.vocabSize();
    }

    @Override
    public Candidates start(Batch batch, int rowsPerSentence, StepRequest request) {
        this.batch = batch;
        List<Row> first = new ArrayList<>();
        encoderStates = new double[batch.sentences()][][];
        for (int s = 0; s < batch.sentences(); s++) {
            int[] tokens;
            if (config.encoderDecoder()) {
                encoderStates[s] = encode(batch.inputIds()[s], batch.attentionMask()[s]);
                tokens = new int[] {config.decoderStartTokenId()};
            } else {
                tokens = batch.inputIds()[s];
            }
            for (int b = 0; b < rowsPerSentence; b++) {
                first.add(new Row(s, tokens));
            }
        }
        rows = first;
        return step(request);
    }

    @Override
    public Candidates next(int[] tokens, int[] parents, StepRequest request) {
        if (tokens.length != parents.length) {
            throw new IllegalArgumentException(tokens.length + " tokens but " + parents.length + " parents");
        }
        List<Row> next = new ArrayList<>();
        for (int r = 0; r < tokens.length; r++) {
            Row parent = rows.get(parents[r]);
            int[] history = Arrays.copyOf(parent.tokens(), parent.tokens().length + 1);
            history[history.length - 1] = tokens[r];
            next.add(new Row(parent.sentence(), history));
        }
        rows = next;
        return step(request);
    }

    @Override
    public void close() {
        batch = null;
        encoderStates = null;
        rows = List.of();
    }

    private Candidates step(StepRequest request) {
        double[][] logits = new double[rows.size()][];
        for (int r = 0; r < rows.size(); r++) {
            double[][] states = decode(rows.get(r));
            logits[r] = logits(states[states.length - 1]);
        }
        return candidates(logits, request);
    }

    // ---- the transformer ----

    /** Encoder output (width, d) of one right-padded input. */
    double[][] encode(int[] ids, int[] mask) {
        int[] positions = new int[ids.length];
        Arrays.setAll(positions, i -> i);
        double[][] x = embed(weights.encoder(), ids, positions);
        boolean[] keys = keyMask(mask, ids.length);
        for (ModelWeights.Layer<FloatArray> layer : weights.encoder().layers()) {
            x = layer(x, layer, config.encoderHeads(), keys, false, null, null);
        }
        return finalNorm(weights.encoder(), x);
    }

    /** Decoder output (tokens, d) of a row, final norm applied, over its whole history. */
    private double[][] decode(Row row) {
        int n = row.tokens().length;
        int[] positions = new int[n];
        boolean[] keys = new boolean[n];
        double[][] cross = null;
        boolean[] crossKeys = null;
        if (config.encoderDecoder()) {
            Arrays.setAll(positions, i -> i);
            Arrays.fill(keys, true);
            cross = encoderStates[row.sentence()];
            crossKeys = keyMask(batch.attentionMask()[row.sentence()], cross.length);
        } else {
            int[] mask = batch.attentionMask()[row.sentence()];
            int real = 0;
            for (int i = 0; i < n; i++) {
                keys[i] = i >= mask.length || mask[i] != 0;
                positions[i] = keys[i] ? real++ : 0;
            }
        }
        return decodeStates(row.tokens(), positions, keys, cross, crossKeys);
    }

    /** The decoder over {@code ids} at {@code positions}; {@code keys[j]} false hides token j from all queries. */
    double[][] decodeStates(int[] ids, int[] positions, boolean[] keys, double[][] cross, boolean[] crossKeys) {
        double[][] x = embed(weights.decoder(), ids, positions);
        for (ModelWeights.Layer<FloatArray> layer : weights.decoder().layers()) {
            x = layer(x, layer, config.decoderHeads(), keys, true, cross, crossKeys);
        }
        return finalNorm(weights.decoder(), x);
    }

    private double[][] embed(ModelWeights.Stack<FloatArray> stack, int[] ids, int[] positions) {
        int d = config.dModel();
        double[] tokens = doubles(stack.tokenEmbedding());
        double[] table = doubles(stack.positions());
        double scale = config.embedScale();
        double[][] x = new double[ids.length][d];
        for (int t = 0; t < ids.length; t++) {
            int row = positions[t] + config.positionOffset();
            for (int j = 0; j < d; j++) {
                x[t][j] = tokens[ids[t] * d + j] * scale + table[row * d + j];
            }
        }
        return stack.embeddingNorm() == null ? x : layerNorm(x, stack.embeddingNorm());
    }

    private double[][] finalNorm(ModelWeights.Stack<FloatArray> stack, double[][] x) {
        return stack.finalNorm() == null ? x : layerNorm(x, stack.finalNorm());
    }

    private double[][] layer(double[][] x, ModelWeights.Layer<FloatArray> layer, int heads, boolean[] keys,
            boolean causal, double[][] cross, boolean[] crossKeys) {
        x = sublayer(x, layer.selfNorm(), h -> attention(h, h, layer.selfAttention(), heads, keys, causal));
        if (layer.crossAttention() != null) {
            x = sublayer(x, layer.crossNorm(), h -> attention(h, cross, layer.crossAttention(), heads, crossKeys, false));
        }
        return sublayer(x, layer.ffnNorm(), h -> linear(activate(linear(h, layer.fc1())), layer.fc2()));
    }

    /** Residual sublayer: {@code x + f(LN(x))} pre-norm, {@code LN(x + f(x))} post-norm. */
    private double[][] sublayer(double[][] x, ModelWeights.LayerNorm<FloatArray> norm,
            java.util.function.UnaryOperator<double[][]> f) {
        return config.preNorm() ? add(x, f.apply(layerNorm(x, norm))) : layerNorm(add(x, f.apply(x)), norm);
    }

    /**
     * Standard multi-head attention: softmax(q kᵀ / √headDim) v per head over the keys that
     * {@code keys} keeps (and, if causal, those not after the query), then the output projection.
     */
    private double[][] attention(double[][] queries, double[][] memory, ModelWeights.Attention<FloatArray> a, int heads,
            boolean[] keys, boolean causal) {
        double[][] q = linear(queries, a.q());
        double[][] k = linear(memory, a.k());
        double[][] v = linear(memory, a.v());
        int d = config.dModel();
        int hd = d / heads;
        double scale = 1 / Math.sqrt(hd);
        double[][] context = new double[queries.length][d];
        double[] p = new double[memory.length];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < queries.length; i++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < memory.length; j++) {
                    boolean visible = keys[j] && (!causal || j <= i);
                    double s = 0;
                    for (int c = h * hd; c < (h + 1) * hd; c++) {
                        s += q[i][c] * k[j][c];
                    }
                    p[j] = visible ? s * scale : Double.NEGATIVE_INFINITY;
                    max = Math.max(max, p[j]);
                }
                if (max == Double.NEGATIVE_INFINITY) {
                    continue; // a padded query that sees no key; no real token reads its state
                }
                double sum = 0;
                for (int j = 0; j < memory.length; j++) {
                    p[j] = Math.exp(p[j] - max);
                    sum += p[j];
                }
                for (int j = 0; j < memory.length; j++) {
                    for (int c = h * hd; c < (h + 1) * hd; c++) {
                        context[i][c] += p[j] / sum * v[j][c];
                    }
                }
            }
        }
        return linear(context, a.out());
    }

    private double[][] linear(double[][] x, ModelWeights.Linear<FloatArray> l) {
        double[] w = doubles(l.weight());
        double[] b = doubles(l.bias());
        int in = l.inFeatures();
        double[][] y = new double[x.length][l.outFeatures()];
        for (int t = 0; t < x.length; t++) {
            for (int o = 0; o < l.outFeatures(); o++) {
                double s = b[o];
                for (int i = 0; i < in; i++) {
                    s += w[o * in + i] * x[t][i];
                }
                y[t][o] = s;
            }
        }
        return y;
    }

    private double[][] layerNorm(double[][] x, ModelWeights.LayerNorm<FloatArray> norm) {
        double[] g = doubles(norm.weight());
        double[] b = doubles(norm.bias());
        double[][] y = new double[x.length][];
        for (int t = 0; t < x.length; t++) {
            int d = x[t].length;
            double mean = 0;
            for (double v : x[t]) {
                mean += v;
            }
            mean /= d;
            double var = 0;
            for (double v : x[t]) {
                var += (v - mean) * (v - mean);
            }
            double inv = 1 / Math.sqrt(var / d + config.layerNormEps());
            y[t] = new double[d];
            for (int j = 0; j < d; j++) {
                y[t][j] = (x[t][j] - mean) * inv * g[j] + b[j];
            }
        }
        return y;
    }

    private double[][] activate(double[][] x) {
        double[][] y = new double[x.length][];
        for (int t = 0; t < x.length; t++) {
            y[t] = new double[x[t].length];
            for (int j = 0; j < x[t].length; j++) {
                y[t][j] = activation(config.activation(), x[t][j]);
            }
        }
        return y;
    }

    static double activation(Activation a, double x) {
        return switch (a) {
            case GELU -> 0.5 * x * (1 + erf(x / Math.sqrt(2)));
            case GELU_TANH -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            case RELU -> Math.max(x, 0);
            case SILU -> x / (1 + Math.exp(-x));
        };
    }

    /**
     * The error function to about 1e-15: its Taylor series below 2.5, where it converges without
     * cancellation, and above it the continued fraction of erfc.
     */
    static double erf(double x) {
        double a = Math.abs(x);
        double r;
        if (a < 2.5) {
            double term = a;
            double sum = a;
            for (int n = 1; Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
                term *= -a * a / n;
                sum += term / (2 * n + 1);
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            // erfc(a) = exp(-a²)/√π / (a + (1/2)/(a + 1/(a + (3/2)/(a + ...)))), evaluated from the tail.
            double f = a;
            for (int n = 120; n >= 1; n--) {
                f = a + (n / 2.0) / f;
            }
            r = 1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
        }
        return Math.copySign(r, x);
    }

    private static double[][] add(double[][] x, double[][] y) {
        double[][] z = new double[x.length][];
        for (int t = 0; t < x.length; t++) {
            z[t] = new double[x[t].length];
            for (int j = 0; j < x[t].length; j++) {
                z[t][j] = x[t][j] + y[t][j];
            }
        }
        return z;
    }

    private static boolean[] keyMask(int[] mask, int n) {
        boolean[] keys = new boolean[n];
        for (int j = 0; j < n; j++) {
            keys[j] = mask[j] != 0;
        }
        return keys;
    }

    /** Raw logits of one final hidden state: {@code lmHead · h + finalLogitsBias}. */
    double[] logits(double[] h) {
        double[] e = doubles(weights.lmHead());
        double[] bias = doubles(weights.finalLogitsBias());
        int d = config.dModel();
        double[] out = new double[config.vocabSize()];
        for (int t = 0; t < out.length; t++) {
            double s = bias[t];
            for (int j = 0; j < d; j++) {
                s += e[t * d + j] * h[j];
            }
            out[t] = s;
        }
        return out;
    }

    // ---- the step's output ----

    /** log_softmax, then the request's bans (-inf) and forced tokens (0, all else -inf), then top-k. */
    private Candidates candidates(double[][] logits, StepRequest request) {
        int vocab = config.vocabSize();
        int k = request.topK();
        if (k > vocab) {
            throw new IllegalArgumentException("topK " + k + " exceeds the vocabulary of " + vocab);
        }
        double[][] scores = new double[logits.length][];
        for (int r = 0; r < logits.length; r++) {
            scores[r] = logSoftmax(logits[r]);
        }
        for (int i = 0; i < request.bannedRows().length; i++) {
            scores[request.bannedRows()[i]][request.bannedTokens()[i]] = Double.NEGATIVE_INFINITY;
        }
        int[] tokens = new int[logits.length * k];
        float[] top = new float[logits.length * k];
        for (int r = 0; r < logits.length; r++) {
            int forced = request.forcedToken()[r];
            if (forced >= 0) {
                Arrays.fill(scores[r], Double.NEGATIVE_INFINITY);
                scores[r][forced] = 0;
            }
            double[] s = scores[r];
            Integer[] order = new Integer[vocab];
            Arrays.setAll(order, i -> i);
            Arrays.sort(order, (a, b) -> s[a] != s[b] ? Double.compare(s[b], s[a]) : Integer.compare(a, b));
            for (int j = 0; j < k; j++) {
                tokens[r * k + j] = order[j];
                top[r * k + j] = (float) s[order[j]];
            }
        }
        float[] raw = null;
        if (request.keepLogits()) {
            raw = new float[logits.length * vocab];
            for (int r = 0; r < logits.length; r++) {
                for (int t = 0; t < vocab; t++) {
                    raw[r * vocab + t] = (float) logits[r][t];
                }
            }
        }
        return new Candidates(k, tokens, top, raw);
    }

    private static double[] logSoftmax(double[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : x) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (double v : x) {
            sum += Math.exp(v - max);
        }
        double lse = max + Math.log(sum);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] - lse;
        }
        return out;
    }

    private double[] doubles(FloatArray a) {
        return doubles.computeIfAbsent(a, f -> {
            double[] out = new double[f.getSize()];
            for (int i = 0; i < out.length; i++) {
                out[i] = f.get(i);
            }
            return out;
        });
    }
}
