package elattn.generate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

/**
 * HF's logits processors for greedy and beam search, turned into per-row data ({@link StepRequest})
 * so the model applies them where the logits are. Processors and order as HF 5.x
 * {@code _get_logits_processor}: no_repeat_ngram_size, bad_words_ids, min_length, min_new_tokens,
 * forced BOS, forced EOS. The forced ones come last and set every other token to -inf, so a row
 * with a forced token gets no bans (they could not change its scores).
 *
 * <p>Every processor looks at the row's whole decoder history as HF's {@code input_ids}: for
 * decoder-only models the left-padded prompt (pads included) and the generated tokens; for
 * encoder-decoders the start token and the generated tokens.
 */
final class Constraints {
    private final int noRepeatNgramSize;
    private final int[] singleBadWords;
    private final int[][] multiBadWords;
    private final int[] eos;
    private final int minLength;
    private final int maxLength;
    private final Integer forcedBos;
    private final Integer forcedEos;

    Constraints(GenerationConfig config, GenerationConfig.Lengths lengths) {
        noRepeatNgramSize = config.noRepeatNgramSize();
        eos = config.eosTokenIds();
        List<Integer> single = new ArrayList<>();
        List<int[]> multi = new ArrayList<>();
        int[][] bad = config.badWordsIds();
        if (bad != null) {
            for (int[] w : bad) {
                // HF's NoBadWordsLogitsProcessor drops a bad word that is exactly one EOS id.
                if (w.length == 1 && eos != null && Arrays.stream(eos).anyMatch(e -> e == w[0])) {
                    continue;
                }
                if (w.length == 1) {
                    single.add(w[0]);
                } else {
                    multi.add(w);
                }
            }
        }
        singleBadWords = single.stream().mapToInt(Integer::intValue).toArray();
        multiBadWords = multi.toArray(int[][]::new);
        // HF adds the min-length processors only with an EOS id; both count the same threshold.
        minLength = eos == null ? 0 : lengths.min();
        maxLength = lengths.max();
        forcedBos = config.forcedBosTokenId();
        int[] fe = config.forcedEosTokenIds();
        forcedEos = fe == null ? null : fe[0];
    }

    /**
     * The request for one step.
     *
     * @param topK      candidates per row
     * @param histories per row, its decoder tokens; the first {@code curLen} are valid
     * @param curLen    the common history length of the rows (HF's {@code input_ids.shape[-1]})
     */
    StepRequest request(int topK, List<int[]> histories, int curLen) {
        int rows = histories.size();
        int[] forced = new int[rows];
        Arrays.fill(forced, -1);
        Integer force = null;
        if (forcedBos != null && curLen == 1) {
            force = forcedBos;
        }
        if (forcedEos != null && curLen == maxLength - 1) {
            force = forcedEos;
        }
        if (force != null) {
            Arrays.fill(forced, force);
            return new StepRequest(topK, forced, new int[0], new int[0], false);
        }
        IntPairs bans = new IntPairs();
        BitSet banned = new BitSet();
        for (int r = 0; r < rows; r++) {
            int[] h = histories.get(r);
            banned.clear();
            banNgrams(h, curLen, banned);
            for (int t : singleBadWords) {
                banned.set(t);
            }
            for (int[] w : multiBadWords) {
                if (w.length <= curLen && suffixEquals(h, curLen, w, w.length - 1)) {
                    banned.set(w[w.length - 1]);
                }
            }
            if (curLen < minLength) {
                for (int e : eos) {
                    banned.set(e);
                }
            }
            for (int t = banned.nextSetBit(0); t >= 0; t = banned.nextSetBit(t + 1)) {
                bans.add(r, t);
            }
        }
        return new StepRequest(topK, forced, bans.rows(), bans.tokens(), false);
    }

    /** HF's NoRepeatNGramLogitsProcessor: ban t when (last n-1 tokens, t) already occurs in the history. */
    private void banNgrams(int[] h, int curLen, BitSet banned) {
        int n = noRepeatNgramSize;
        if (n <= 0 || curLen + 1 < n) {
            return;
        }
        int prefix = n - 1;
        for (int start = 0; start + n <= curLen; start++) {
            boolean match = true;
            for (int j = 0; j < prefix && match; j++) {
                match = h[start + j] == h[curLen - prefix + j];
            }
            if (match) {
                banned.set(h[start + prefix]);
            }
        }
    }

    /** Whether the last {@code len} tokens of the history equal the first {@code len} of {@code w}. */
    private static boolean suffixEquals(int[] h, int curLen, int[] w, int len) {
        for (int j = 0; j < len; j++) {
            if (h[curLen - len + j] != w[j]) {
                return false;
            }
        }
        return true;
    }

    boolean isEos(int token) {
        if (eos != null) {
            for (int e : eos) {
                if (e == token) {
                    return true;
                }
            }
        }
        return false;
    }

    /** A growable list of (row, token) pairs. */
    private static final class IntPairs {
        private int[] rows = new int[16];
        private int[] tokens = new int[16];
        private int size;

        void add(int row, int token) {
            if (size == rows.length) {
                rows = Arrays.copyOf(rows, size * 2);
                tokens = Arrays.copyOf(tokens, size * 2);
            }
            rows[size] = row;
            tokens[size++] = token;
        }

        int[] rows() {
            return Arrays.copyOf(rows, size);
        }

        int[] tokens() {
            return Arrays.copyOf(tokens, size);
        }
    }
}
