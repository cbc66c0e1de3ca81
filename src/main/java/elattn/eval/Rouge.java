package elattn.eval;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * ROUGE-1, ROUGE-2 and ROUGE-L F1 of a prediction against one reference, computed as Google's
 * {@code rouge-score} package does with its defaults ({@code use_stemmer=False}), so numbers are
 * comparable with HF {@code evaluate}'s "rouge" (docs/eval.md):
 *
 * <ul>
 *   <li><b>Tokens</b>: the text lowercased, every character other than {@code a-z} and {@code 0-9}
 *       replaced by a space, split on whitespace. No stemming, no stop words.</li>
 *   <li><b>ROUGE-N</b>: the n-grams of each side as multisets; overlap = the sum over n-grams of
 *       the smaller count; precision = overlap / prediction n-grams, recall = overlap / reference
 *       n-grams.</li>
 *   <li><b>ROUGE-L</b>: the longest common subsequence of the two token sequences, each text taken
 *       as one sequence ({@code rouge-score}'s {@code rougeL}, "sentence-level"; not
 *       {@code rougeLsum}, which splits at newlines: a synopsis is one line).</li>
 *   <li><b>F1</b>: {@code 2PR / (P + R)}, 0 when both are 0 (also when a side has no tokens).</li>
 * </ul>
 *
 * A corpus score is the mean of the per-example F1 values ({@link Accumulator}).
 */
public final class Rouge {
    private Rouge() {
    }

    /** Precision, recall and F1 of one comparison, each in [0, 1]. */
    public record Score(double precision, double recall, double f1) {
        static Score of(int overlap, int predicted, int reference) {
            double p = predicted == 0 ? 0 : (double) overlap / predicted;
            double r = reference == 0 ? 0 : (double) overlap / reference;
            return new Score(p, r, p + r == 0 ? 0 : 2 * p * r / (p + r));
        }
    }

    /** The three scores of one prediction. */
    public record Scores(Score rouge1, Score rouge2, Score rougeL) {
    }

    /** Scores {@code prediction} against {@code reference}. */
    public static Scores score(String prediction, String reference) {
        List<String> p = tokenize(prediction);
        List<String> r = tokenize(reference);
        return new Scores(ngram(p, r, 1), ngram(p, r, 2), Score.of(lcs(p, r), p.size(), r.size()));
    }

    /** rouge-score's default tokenizer: lowercase, non-alphanumerics to spaces, split. */
    public static List<String> tokenize(String text) {
        String clean = text.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", " ").strip();
        return clean.isEmpty() ? List.of() : List.of(clean.split(" "));
    }

    /** ROUGE-N of two token lists. */
    public static Score ngram(List<String> prediction, List<String> reference, int n) {
        Map<List<String>, Integer> ref = counts(reference, n);
        Map<List<String>, Integer> pred = counts(prediction, n);
        int overlap = 0;
        for (Map.Entry<List<String>, Integer> e : pred.entrySet()) {
            overlap += Math.min(e.getValue(), ref.getOrDefault(e.getKey(), 0));
        }
        return Score.of(overlap, Math.max(0, prediction.size() - n + 1), Math.max(0, reference.size() - n + 1));
    }

    private static Map<List<String>, Integer> counts(List<String> tokens, int n) {
        Map<List<String>, Integer> out = new HashMap<>();
        for (int i = 0; i + n <= tokens.size(); i++) {
            out.merge(new ArrayList<>(tokens.subList(i, i + n)), 1, Integer::sum);
        }
        return out;
    }

    /** Length of the longest common subsequence (dynamic programming, two rows). */
    public static int lcs(List<String> a, List<String> b) {
        int[] prev = new int[b.size() + 1];
        int[] cur = new int[b.size() + 1];
        for (String x : a) {
            for (int j = 1; j <= b.size(); j++) {
                cur[j] = x.equals(b.get(j - 1)) ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.size()];
    }

    /** Mean F1 of many predictions, as rouge-score's aggregator and HF evaluate average them. */
    public static final class Accumulator {
        private double r1;
        private double r2;
        private double rl;
        private int count;

        public void add(Scores s) {
            r1 += s.rouge1().f1();
            r2 += s.rouge2().f1();
            rl += s.rougeL().f1();
            count++;
        }

        public int count() {
            return count;
        }

        /** Mean ROUGE-1 F1 (0 when empty). */
        public double rouge1() {
            return count == 0 ? 0 : r1 / count;
        }

        public double rouge2() {
            return count == 0 ? 0 : r2 / count;
        }

        public double rougeL() {
            return count == 0 ? 0 : rl / count;
        }
    }
}
