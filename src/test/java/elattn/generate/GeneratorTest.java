package elattn.generate;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hand-checked greedy and beam searches over a Markov-chain toy model. Tokens: 0 start, 1 EOS,
 * 2-4 words, 5 pad. Every expected value below is derived step by step in the comments.
 */
class GeneratorTest {
    private static final int START = 0;
    private static final int EOS = 1;
    private static final int PAD = 5;

    /** After 0: 2 (.5) 3 (.38) EOS (.09); after 2: EOS (.9); after 3: 4 (.9); after 4: EOS (.97); after 5: uniform. */
    private static MarkovModel chain(boolean encoderDecoder) {
        return new MarkovModel(6, encoderDecoder, START)
                .after(0, 0.01, 0.09, 0.5, 0.38, 0.01, 0.01)
                .after(2, 0.01, 0.9, 0.03, 0.03, 0.02, 0.01)
                .after(3, 0.01, 0.02, 0.01, 0.01, 0.9, 0.05)
                .after(4, 0.005, 0.97, 0.005, 0.01, 0.005, 0.005);
    }

    private static GenerationConfig.Builder encDec() {
        return new GenerationConfig.Builder().encoderDecoder(true).decoderStartTokenId(START).eosTokenIds(EOS)
                .padTokenId(PAD).maxLength(10);
    }

    private static Batch oneSentence() {
        return new Batch(new int[][]{{2, 3}}, new int[][]{{1, 1}});
    }

    private static float ln(double p) {
        return (float) Math.log(p);
    }

    @Test
    void greedyFollowsTheBestTokenAndStopsAtEos() {
        MarkovModel model = chain(true);
        GenerationResult out = Generator.generate(model, oneSentence(), encDec().build());
        assertArrayEquals(new int[][]{{0, 2, 1}}, out.sequences());
        assertArrayEquals(new int[]{2, 1}, out.generated(0, 0));
        assertNull(out.sequenceScores());
        assertTrue(model.closed);
    }

    @Test
    void minLengthBansEosAndTiesTakeTheLowerId() {
        // min_length 4 counts the start token: EOS is banned at lengths 1-3. After 2 the next best are
        // 2 and 3 (.03 each): the tie goes to 2.
        GenerationResult out = Generator.generate(chain(true), oneSentence(), encDec().minLength(4).build());
        assertArrayEquals(new int[][]{{0, 2, 2, 2, 1}}, out.sequences());
        // min_new_tokens 3 is the same bound: 1 (start) + 3.
        out = Generator.generate(chain(true), oneSentence(), encDec().minNewTokens(3).build());
        assertArrayEquals(new int[][]{{0, 2, 2, 2, 1}}, out.sequences());
    }

    @Test
    void noRepeatNgramBansAPairSeenBefore() {
        // [0 2 2]: the bigram (2 2) exists, so 2 is banned after the last 2; EOS is banned by min length,
        // so 3 (.03) follows, then 4 and EOS.
        GenerationResult out = Generator.generate(chain(true), oneSentence(),
                encDec().minLength(4).noRepeatNgramSize(2).build());
        assertArrayEquals(new int[][]{{0, 2, 2, 3, 4, 1}}, out.sequences());
    }

    @Test
    void badWordsBanSingleTokensAndCompletedSequences() {
        // [2 EOS] is banned as a sequence: EOS never follows 2, so [0 2] goes on with 2 (tie with 3).
        GenerationResult out = Generator.generate(chain(true), oneSentence(), encDec().badWordsIds(new int[]{2, EOS})
                .maxLength(4).build());
        assertArrayEquals(new int[][]{{0, 2, 2, 2}}, out.sequences());
        // HF skips a sequence longer than the history, even when its prefix would fit: [0 2] is not
        // banned at length 1 (history [0]).
        out = Generator.generate(chain(true), oneSentence(), encDec().badWordsIds(new int[]{0, 2}).build());
        assertArrayEquals(new int[][]{{0, 2, 1}}, out.sequences());
        // A single-token ban of 2 sends [0] to 3; a bad word that is exactly EOS is ignored, as HF does.
        out = Generator.generate(chain(true), oneSentence(), encDec().badWordsIds(new int[]{2}, new int[]{EOS}).build());
        assertArrayEquals(new int[][]{{0, 3, 4, 1}}, out.sequences());
    }

    @Test
    void forcedBosAndForcedEos() {
        GenerationResult out = Generator.generate(chain(true), oneSentence(), encDec().forcedBosTokenId(3).build());
        assertArrayEquals(new int[][]{{0, 3, 4, 1}}, out.sequences());
        // max_length 3: the token that reaches it is forced to EOS; without forcing the row just stops.
        out = Generator.generate(chain(true), oneSentence(), encDec().forcedBosTokenId(3).maxLength(3)
                .forcedEosTokenId(EOS).build());
        assertArrayEquals(new int[][]{{0, 3, 1}}, out.sequences());
        out = Generator.generate(chain(true), oneSentence(), encDec().forcedBosTokenId(3).maxLength(3).build());
        assertArrayEquals(new int[][]{{0, 3, 4}}, out.sequences());
    }

    @Test
    void greedyRowsLeaveTheBatchWhenFinishedAndArePadded() {
        // Decoder-only, left-padded prompts: [pad 2] ends after one token, [2 3] after two.
        MarkovModel model = chain(false);
        Batch batch = new Batch(new int[][]{{PAD, 2}, {2, 3}}, new int[][]{{0, 1}, {1, 1}});
        GenerationResult out = Generator.generate(model, batch, new GenerationConfig.Builder().eosTokenIds(EOS)
                .padTokenId(PAD).maxNewTokens(5).build());
        assertArrayEquals(new int[][]{{PAD, 2, 1, PAD}, {2, 3, 4, 1}}, out.sequences());
        assertEquals(List.of(2, 1), model.rowsPerStep);
    }

    /*
     * Beam search, 2 beams, one sentence, encoder-decoder (input length 1), keep = 4 candidates.
     * step 1 (beam [0], score 0): kept 2 (ln .5), 3 (ln .38), EOS (ln .09), 0 (ln .01); no hit among the
     *   first two; running [0 2], [0 3].
     * step 2: [0 2] EOS = ln.5+ln.9; [0 3] 4 = ln.38+ln.9; [0 3] 5 = ln.38+ln.05; [0 2] 2 = ln.5+ln.03.
     *   Kept order: EOS, [0 3 4], [0 3 5] (ln.38+ln.05 = -3.96), [0 2 2] (-4.20). EOS is among the
     *   first two: finished, score (ln.5+ln.9)/2. Running [0 3 4], [0 3 5].
     * step 3: [0 3 4] EOS = ln.38+ln.9+ln.97 first; [0 3 5] is uniform (ln 1/6 = -1.79, sum -5.75);
     *   [0 3 4] 3 = -5.68 comes before. The first two kept: EOS (hit) and [0 3 4 3]: one finished,
     *   score (ln.38+ln.9+ln.97)/3. Both slots are now finished.
     */
    private static final float SHORT = ln(.5) + ln(.9);
    private static final float LONG = ln(.38) + ln(.9) + ln(.97);

    @Test
    void beamSearchEarlyStoppingTrueWithLengthPenalty() {
        MarkovModel model = chain(true);
        GenerationResult out = Generator.generate(model, oneSentence(), encDec().numBeams(2).numReturnSequences(2)
                .earlyStopping(GenerationConfig.EarlyStopping.TRUE).build());
        // lp 1: LONG/3 = -0.368 beats SHORT/2 = -0.399.
        assertArrayEquals(new int[][]{{0, 3, 4, 1}, {0, 2, 1, PAD}}, out.sequences());
        assertEquals(LONG / 3, out.sequenceScores()[0], 1e-6);
        assertEquals(SHORT / 2, out.sequenceScores()[1], 1e-6);
        // start with one row (the other beam is virtual), then two rows per step; done after step 3.
        assertEquals(List.of(1, 2, 2), model.rowsPerStep);
    }

    @Test
    void lengthPenaltyZeroPrefersTheShorterSum() {
        GenerationResult out = Generator.generate(chain(true), oneSentence(), encDec().numBeams(2).lengthPenalty(0)
                .earlyStopping(GenerationConfig.EarlyStopping.TRUE).build());
        assertArrayEquals(new int[][]{{0, 2, 1}}, out.sequences());
        assertEquals(SHORT, out.sequenceScores()[0], 1e-6);
    }

    @Test
    void earlyStoppingFalseAndNeverStopWhenNoRunningBeamCanWin() {
        for (GenerationConfig.EarlyStopping early : GenerationConfig.EarlyStopping.values()) {
            MarkovModel model = chain(true);
            GenerationResult out = Generator.generate(model, oneSentence(), encDec().numBeams(2)
                    .earlyStopping(early).build());
            assertArrayEquals(new int[][]{{0, 3, 4, 1}}, out.sequences(), early.name());
            // After step 3 the best running beam ([0 3 4 3], -5.68) cannot beat -0.399 at length 3
            // (false) nor at length 9 (never: max_length 10 - 1), so every variant stops there.
            assertEquals(List.of(1, 2, 2), model.rowsPerStep, early.name());
        }
    }

    @Test
    void beamSentencesFinishingAtDifferentStepsLeaveTheBatch() {
        // Decoder-only. Sentence 0 ends in 2: EOS at step 1 (score ln .9) and a second hypothesis at
        // step 2, so it is done after two steps. Sentence 1 ends in 3: [3 4 EOS] finishes at step 2
        // ((ln.9+ln.97)/2) and the second slot fills at step 4, so it runs alone for steps 3 and 4.
        MarkovModel model = chain(false);
        Batch batch = new Batch(new int[][]{{PAD, 2}, {2, 3}}, new int[][]{{0, 1}, {1, 1}});
        GenerationResult out = Generator.generate(model, batch, new GenerationConfig.Builder().eosTokenIds(EOS)
                .padTokenId(PAD).maxNewTokens(8).numBeams(2).earlyStopping(GenerationConfig.EarlyStopping.TRUE)
                .build());
        assertArrayEquals(new int[][]{{PAD, 2, 1, PAD}, {2, 3, 4, 1}}, out.sequences());
        assertEquals(ln(.9), out.sequenceScores()[0], 1e-6);
        assertEquals((ln(.9) + ln(.97)) / 2, out.sequenceScores()[1], 1e-6);
        assertEquals(List.of(2, 4, 2, 2), model.rowsPerStep);
        // The rows scored for step 3 are sentence 1's beams [2 3 4 3] and [2 3 5 0] alone.
        List<int[]> last = model.historyPerStep.get(2);
        assertArrayEquals(new int[]{2, 3, 4, 3}, last.get(0));
        assertArrayEquals(new int[]{2, 3, 5, 0}, last.get(1));
    }

    @Test
    void maxLengthFinishesEveryBeamWithoutEos() {
        // max_new_tokens 1: the first step's best two candidates are finished hypotheses of length 1.
        GenerationResult out = Generator.generate(chain(true), oneSentence(), encDec().maxNewTokens(1).numBeams(2)
                .numReturnSequences(2).build());
        assertArrayEquals(new int[][]{{0, 2}, {0, 3}}, out.sequences());
        assertEquals(ln(.5), out.sequenceScores()[0], 1e-6);
        assertEquals(ln(.38), out.sequenceScores()[1], 1e-6);
    }
}
