package elattn.generate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * HF transformers 5.x vectorised beam search ({@code GenerationMixin._beam_search}), one sentence at
 * a time, in float32 as HF computes it.
 *
 * <p>Per step and sentence: every running beam's candidates get the beam's running score added;
 * the best {@code keep = max(2, 1 + number of EOS ids) * num_beams} (score, then lower
 * {@code beam * vocab + token} first) are kept. A kept candidate "hits" when its token is an EOS id
 * or its length reaches max_length. The next running beams are the best num_beams kept candidates
 * after hits get -1e9. Of the kept candidates, only the first num_beams may become finished
 * hypotheses: a hit among them scores {@code score / (length - input length)^length_penalty} and is
 * merged with the sentence's num_beams finished slots (best num_beams stay), unless the sentence is
 * already closed (early_stopping true and all slots finished, or the early-stop heuristic below
 * failed once), in which case it gets -1e9 and cannot enter.
 *
 * <p>Early-stop heuristic (sticky per sentence): the best running score divided by
 * {@code L^length_penalty} must beat the worst finished score (or -1e9 while a slot is empty), with
 * L the generated length so far, or {@code max_length - input length} for early_stopping "never"
 * with a positive length penalty. A sentence is done when it is closed; its rows then leave the
 * batch, which changes nothing for it because HF's later steps can only offer it -1e9 hypotheses.
 *
 * <p>The first step: HF starts num_beams identical beams with scores 0, -1e9, -1e9, ...; here the
 * model gets one row per sentence and the other beams are virtual copies of it (same candidates,
 * score -1e9), so the selection is the same and the model does no duplicate work.
 *
 * <p>Why {@code keep} candidates per row are enough: the sentence's best {@code keep} of all
 * (beam, token) pairs, ordered by (running + score, then flat index), are among the union of each
 * beam's best {@code keep} tokens ordered by (score, then token). Take a pair (b, t) in the global
 * best {@code keep}. Every pair of row b that is ahead of it in the row's order has a score at least
 * as high, so a sum at least as high after adding the same running score (float rounding is
 * monotone), and when the sums are equal a lower token, which is a lower flat index: it is ahead of
 * (b, t) globally too. So fewer than {@code keep} pairs are ahead of (b, t) in its row: it is in the
 * row's best {@code keep}. The one exception is two different scores of a row that round to the same
 * sum with the larger one on the higher token id, which only reorders exact float ties.
 */
final class BeamSearch {
    /** HF's "very large negative value" for closed hypotheses and the initial dummy beams. */
    private static final float PENALTY = -1.0e9f;

    private final StepModel model;
    private final GenerationConfig config;
    private final GenerationConfig.Lengths lengths;
    private final Constraints constraints;
    private final int beams;
    private final int keep;
    private final int topK;
    private final int vocab;

    BeamSearch(StepModel model, GenerationConfig config, GenerationConfig.Lengths lengths, Constraints constraints) {
        this.model = model;
        this.config = config;
        this.lengths = lengths;
        this.constraints = constraints;
        this.beams = config.numBeams();
        this.keep = Math.toIntExact(config.beamCandidates());
        this.vocab = model.vocabSize();
        this.topK = config.candidatesPerRow(vocab);
    }

    /** A running hypothesis: its tokens, running score and the model row that holds its state. */
    private record Beam(int[] history, float score, int row) {
    }

    /** One input sentence: its running beams and its num_beams finished slots, best first. */
    private final class Sentence {
        Beam[] running;
        final float[] slotScore = new float[beams];
        final boolean[] slotFinished = new boolean[beams];
        final int[][] slotHistory = new int[beams][];
        final int[] slotLength = new int[beams];
        boolean improvable = true;
        boolean done;

        Sentence(int[] prompt, int row) {
            running = new Beam[beams];
            for (int b = 0; b < beams; b++) {
                running[b] = new Beam(prompt, b == 0 ? 0f : PENALTY, row);
                slotScore[b] = PENALTY;
                slotHistory[b] = prompt;
                slotLength[b] = lengths.input();
            }
        }

        boolean allFinished() {
            for (boolean f : slotFinished) {
                if (!f) {
                    return false;
                }
            }
            return true;
        }

        /** One step of HF's beam search for this sentence; {@code curLen} is the length before it. */
        void step(Candidates c, int curLen) {
            int newLen = curLen + 1;
            int k = c.topK();
            int total = beams * k;
            float[] sum = new float[total];
            int[] flat = new int[total];
            for (int b = 0; b < beams; b++) {
                for (int r = 0; r < k; r++) {
                    sum[b * k + r] = running[b].score + c.score(running[b].row, r);
                    flat[b * k + r] = b * vocab + c.token(running[b].row, r);
                }
            }
            int[] kept = best(sum, flat, Math.min(keep, total));
            int m = kept.length;
            float[] keptSum = new float[m];
            float[] runScore = new float[m];
            boolean[] hit = new boolean[m];
            int[] order = new int[m];
            for (int i = 0; i < m; i++) {
                int e = kept[i];
                keptSum[i] = sum[e];
                hit[i] = constraints.isEos(flat[e] % vocab) || newLen >= lengths.max();
                runScore[i] = hit[i] ? keptSum[i] + PENALTY : keptSum[i];
                order[i] = i;
            }
            // Running beams for the next step: the best num_beams kept candidates, hits pushed down.
            int[] next = best(runScore, order, beams);
            // Finished slots: merge the old slots with this step's candidates, HF's way.
            float denominator = (float) Math.pow(newLen - lengths.input(), config.lengthPenalty());
            boolean closedFull = allFinished() && config.earlyStopping() == GenerationConfig.EarlyStopping.TRUE;
            float[] merged = new float[beams + m];
            int[] index = new int[beams + m];
            for (int j = 0; j < beams; j++) {
                merged[j] = slotScore[j];
                index[j] = j;
            }
            for (int i = 0; i < m; i++) {
                float s = keptSum[i] / denominator;
                if (closedFull) {
                    s += PENALTY;
                }
                if (!improvable) {
                    s += PENALTY;
                }
                if (!(hit[i] && i < beams)) {
                    s += PENALTY;
                }
                merged[beams + i] = s;
                index[beams + i] = beams + i;
            }
            int[] slots = best(merged, index, beams);
            float[] newScore = new float[beams];
            boolean[] newFinished = new boolean[beams];
            int[][] newHistory = new int[beams][];
            int[] newLength = new int[beams];
            for (int j = 0; j < beams; j++) {
                int e = slots[j];
                newScore[j] = merged[e];
                if (e < beams) {
                    newFinished[j] = slotFinished[e];
                    newHistory[j] = slotHistory[e];
                    newLength[j] = slotLength[e];
                } else {
                    int i = e - beams;
                    newFinished[j] = hit[i] && i < beams;
                    newHistory[j] = child(kept[i], curLen, k, flat);
                    newLength[j] = newLen;
                }
            }
            System.arraycopy(newScore, 0, slotScore, 0, beams);
            System.arraycopy(newFinished, 0, slotFinished, 0, beams);
            System.arraycopy(newHistory, 0, slotHistory, 0, beams);
            System.arraycopy(newLength, 0, slotLength, 0, beams);
            Beam[] nextRunning = new Beam[beams];
            for (int j = 0; j < beams; j++) {
                int i = next[j];
                nextRunning[j] = new Beam(child(kept[i], curLen, k, flat), runScore[i], running[kept[i] / k].row);
            }
            running = nextRunning;
            updateHeuristic(newLen);
            done = (allFinished() && config.earlyStopping() == GenerationConfig.EarlyStopping.TRUE) || !improvable;
        }

        private int[] child(int entry, int curLen, int k, int[] flat) {
            int[] h = Arrays.copyOf(running[entry / k].history, Math.max(lengths.max(), curLen + 1));
            h[curLen] = flat[entry] % vocab;
            return h;
        }

        /** HF's {@code _check_early_stop_heuristic}, sticky. */
        private void updateHeuristic(int curLen) {
            boolean never = config.earlyStopping() == GenerationConfig.EarlyStopping.NEVER;
            int hypothetical = never && config.lengthPenalty() > 0 ? lengths.max() - lengths.input()
                    : curLen - lengths.input();
            float best = running[0].score / (float) Math.pow(hypothetical, config.lengthPenalty());
            float min = Float.POSITIVE_INFINITY;
            for (float s : slotScore) {
                min = Math.min(min, s);
            }
            boolean any = false;
            for (int j = 0; j < beams; j++) {
                any |= best > (slotFinished[j] ? min : PENALTY);
            }
            improvable &= any;
        }
    }

    /**
     * Indices of the {@code count} best entries: higher value first, then lower key (torch.topk's
     * order for these ties; -0.0 equals 0.0 as in torch).
     */
    private static int[] best(float[] value, int[] key, int count) {
        // An insertion sort of the indices: the lists are short (beams x topK at most), and it boxes
        // nothing (the search runs between decode steps, while the device waits).
        int[] idx = new int[value.length];
        for (int i = 0; i < idx.length; i++) {
            int j = i;
            while (j > 0 && before(value, key, i, idx[j - 1])) {
                idx[j] = idx[j - 1];
                j--;
            }
            idx[j] = i;
        }
        return Arrays.copyOf(idx, count);
    }

    /** Whether entry a goes before entry b: a higher value, or an equal one and a lower key. */
    private static boolean before(float[] value, int[] key, int a, int b) {
        return value[a] > value[b] || !(value[a] < value[b]) && key[a] < key[b];
    }

    GenerationResult run(Batch batch, List<int[]> prompts) {
        int sentences = batch.sentences();
        List<Sentence> all = new ArrayList<>();
        for (int s = 0; s < sentences; s++) {
            all.add(new Sentence(prompts.get(s), s));
        }
        List<Sentence> live = new ArrayList<>(all);
        int curLen = lengths.input();
        Candidates candidates = model.start(batch, 1, constraints.request(topK, prompts, curLen))
                .requireScored(vocab, curLen);
        while (true) {
            // Sentences are independent: their steps (sorts, history copies) run on all cores, which
            // matters at hundreds of sentences, where the device waits for this between decode steps.
            Candidates stepCandidates = candidates;
            int stepLen = curLen;
            live.parallelStream().forEach(s -> s.step(stepCandidates, stepLen));
            curLen++;
            if (curLen >= lengths.max()) {
                break;
            }
            live.removeIf(s -> s.done);
            if (live.isEmpty()) {
                break;
            }
            int rows = live.size() * beams;
            int[] tokens = new int[rows];
            int[] parents = new int[rows];
            List<int[]> histories = new ArrayList<>(rows);
            int row = 0;
            for (Sentence s : live) {
                Beam[] renumbered = new Beam[beams];
                for (int b = 0; b < beams; b++) {
                    Beam beam = s.running[b];
                    tokens[row] = beam.history[curLen - 1];
                    parents[row] = beam.row;
                    histories.add(beam.history);
                    renumbered[b] = new Beam(beam.history, beam.score, row);
                    row++;
                }
                s.running = renumbered;
            }
            candidates = model.next(tokens, parents, constraints.request(topK, histories, curLen))
                    .requireScored(vocab, curLen);
        }
        return result(all);
    }

    private GenerationResult result(List<Sentence> all) {
        int returned = config.numReturnSequences();
        List<int[]> histories = new ArrayList<>();
        int[] length = new int[all.size() * returned];
        float[] scores = new float[length.length];
        int r = 0;
        for (Sentence s : all) {
            for (int j = 0; j < returned; j++) {
                histories.add(s.slotHistory[j]);
                length[r] = s.slotLength[j];
                scores[r++] = s.slotScore[j];
            }
        }
        return new GenerationResult(Generator.padded(histories, length, fill()), scores,
                Generator.generatedPart(histories, length, lengths.input()), returned);
    }

    /** HF's {@code output_fill_value}: {@code pad_token_id or eos_token_id[0]}, so a pad id of 0 gives EOS. */
    private Integer fill() {
        int[] eos = config.eosTokenIds();
        if (eos == null) {
            return -1;
        }
        Integer pad = config.effectivePad();
        return pad != null && pad != 0 ? pad : eos[0];
    }
}
