package elattn.generate;

import java.util.ArrayList;
import java.util.List;

/**
 * HF's greedy search ({@code _sample} with {@code do_sample=False}): each row takes its best token
 * after the constraints (ties: the lower id, as {@code argmax}); a row is finished at an EOS id or
 * at max_length, and leaves the live batch. HF appends pad to finished rows while others go on;
 * here they leave, and the output is padded at the end, which gives the same sequences.
 */
final class GreedySearch {
    private GreedySearch() {
    }

    static GenerationResult run(StepModel model, Batch batch, GenerationConfig config, GenerationConfig.Lengths lengths,
                                Constraints constraints, List<int[]> histories) {
        int sentences = batch.sentences();
        int[] length = new int[sentences];
        java.util.Arrays.fill(length, lengths.input());
        int curLen = lengths.input();
        List<Integer> live = new ArrayList<>();
        for (int s = 0; s < sentences; s++) {
            live.add(s);
        }
        int vocab = model.vocabSize();
        Candidates candidates = model.start(batch, 1, constraints.request(1, histories, curLen)).requireScored(vocab, curLen);
        while (true) {
            curLen++;
            List<Integer> stillLive = new ArrayList<>();
            List<Integer> parents = new ArrayList<>();
            for (int row = 0; row < live.size(); row++) {
                int s = live.get(row);
                int token = candidates.token(row, 0);
                histories.get(s)[curLen - 1] = token;
                length[s] = curLen;
                if (!constraints.isEos(token) && curLen < lengths.max()) {
                    stillLive.add(s);
                    parents.add(row);
                }
            }
            if (stillLive.isEmpty()) {
                break;
            }
            int[] tokens = new int[stillLive.size()];
            int[] parentRows = new int[stillLive.size()];
            List<int[]> liveHistories = new ArrayList<>();
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = histories.get(stillLive.get(i))[curLen - 1];
                parentRows[i] = parents.get(i);
                liveHistories.add(histories.get(stillLive.get(i)));
            }
            live = stillLive;
            candidates = model.next(tokens, parentRows, constraints.request(1, liveHistories, curLen))
                    .requireScored(vocab, curLen);
        }
        return new GenerationResult(Generator.padded(histories, length, config.effectivePad()), null,
                Generator.generatedPart(histories, length, lengths.input()), 1);
    }
}
