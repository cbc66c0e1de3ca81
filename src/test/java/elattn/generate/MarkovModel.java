package elattn.generate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A scripted {@link StepModel} for hand-checkable tests: the next-token distribution depends only on
 * the last token (a Markov chain given as probabilities). It keeps every row's history itself from
 * the tokens and parents it is given, so tests can check the rows the search asked for.
 */
final class MarkovModel implements StepModel {
    private final int vocab;
    private final boolean encoderDecoder;
    private final int decoderStart;
    private final Map<Integer, double[]> next = new HashMap<>();
    private final double[] uniform;
    private List<int[]> rows = new ArrayList<>();
    /** Rows of every step asked of the model, in order (start included). */
    final List<Integer> rowsPerStep = new ArrayList<>();
    /** Histories of every row of every step. */
    final List<List<int[]>> historyPerStep = new ArrayList<>();
    boolean closed;

    MarkovModel(int vocab, boolean encoderDecoder, int decoderStart) {
        this.vocab = vocab;
        this.encoderDecoder = encoderDecoder;
        this.decoderStart = decoderStart;
        uniform = new double[vocab];
        Arrays.fill(uniform, 1.0 / vocab);
    }

    /** After {@code last}, token t has probability p[t] (the rest, if any, is spread evenly). */
    MarkovModel after(int last, double... p) {
        double[] q = new double[vocab];
        double rest = 1;
        for (int t = 0; t < p.length; t++) {
            q[t] = p[t];
            rest -= p[t];
        }
        for (int t = p.length; t < vocab; t++) {
            q[t] = rest / (vocab - p.length);
        }
        next.put(last, q);
        return this;
    }

    @Override
    public int vocabSize() {
        return vocab;
    }

    @Override
    public Candidates start(Batch batch, int rowsPerSentence, StepRequest request) {
        rows = new ArrayList<>();
        closed = false;
        for (int s = 0; s < batch.sentences(); s++) {
            for (int b = 0; b < rowsPerSentence; b++) {
                rows.add(encoderDecoder ? new int[]{decoderStart} : batch.inputIds()[s].clone());
            }
        }
        return candidates(request);
    }

    @Override
    public Candidates next(int[] tokens, int[] parents, StepRequest request) {
        List<int[]> grown = new ArrayList<>();
        for (int r = 0; r < tokens.length; r++) {
            int[] p = rows.get(parents[r]);
            int[] h = Arrays.copyOf(p, p.length + 1);
            h[p.length] = tokens[r];
            grown.add(h);
        }
        rows = grown;
        return candidates(request);
    }

    private Candidates candidates(StepRequest request) {
        rowsPerStep.add(rows.size());
        historyPerStep.add(List.copyOf(rows));
        int k = request.topK();
        int[] tokens = new int[rows.size() * k];
        float[] scores = new float[rows.size() * k];
        for (int r = 0; r < rows.size(); r++) {
            int[] h = rows.get(r);
            double[] p = next.getOrDefault(h[h.length - 1], uniform);
            float[] s = new float[vocab];
            for (int t = 0; t < vocab; t++) {
                s[t] = (float) Math.log(p[t]);
            }
            if (request.forcedToken()[r] >= 0) {
                Arrays.fill(s, Float.NEGATIVE_INFINITY);
                s[request.forcedToken()[r]] = 0f;
            }
            for (int i = 0; i < request.bannedRows().length; i++) {
                if (request.bannedRows()[i] == r) {
                    s[request.bannedTokens()[i]] = Float.NEGATIVE_INFINITY;
                }
            }
            Integer[] order = new Integer[vocab];
            for (int t = 0; t < vocab; t++) {
                order[t] = t;
            }
            Arrays.sort(order, (a, b) -> s[a] != s[b] ? Float.compare(s[b], s[a]) : Integer.compare(a, b));
            for (int j = 0; j < k; j++) {
                tokens[r * k + j] = order[j];
                scores[r * k + j] = s[order[j]];
            }
        }
        return new Candidates(k, tokens, scores, null);
    }

    @Override
    public void close() {
        closed = true;
    }
}
