package elattn.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** ROUGE against values worked out by hand (each case says how). */
class RougeTest {
    private static final double EPS = 1e-12;

    @Test
    void tokenizerLowercasesAndSplitsAtEveryNonAlphanumeric() {
        assertEquals(List.of("gnu", "c", "library", "shared", "libraries", "v2", "3"),
                Rouge.tokenize("GNU C Library: Shared-libraries (v2.3)"));
        assertEquals(List.of(), Rouge.tokenize("  --  "));
        assertEquals(List.of("caf"), Rouge.tokenize("café"), "non-ASCII letters are separators, as in rouge-score");
    }

    @Test
    void identicalTextsScoreOne() {
        Rouge.Scores s = Rouge.score("Real-time strategy game", "real time strategy game");
        assertEquals(1, s.rouge1().f1(), EPS);
        assertEquals(1, s.rouge2().f1(), EPS);
        assertEquals(1, s.rougeL().f1(), EPS);
    }

    @Test
    void handComputedCase() {
        // prediction: the cat sat on the mat (6 tokens); reference: the cat is on the mat (6 tokens)
        // unigrams: the x2 both, cat, on, mat shared; sat vs is not -> overlap 5: P = R = F = 5/6
        // bigrams: pred {the cat, cat sat, sat on, on the, the mat}, ref {the cat, cat is, is on,
        //   on the, the mat} -> overlap 3 of 5 each: F = 3/5
        // LCS: the cat on the mat = 5 -> F = 5/6
        Rouge.Scores s = Rouge.score("The cat sat on the mat.", "the cat is on the mat");
        assertEquals(5.0 / 6, s.rouge1().f1(), EPS);
        assertEquals(3.0 / 5, s.rouge2().f1(), EPS);
        assertEquals(5.0 / 6, s.rougeL().f1(), EPS);
    }

    @Test
    void unequalLengthsUsePrecisionAndRecall() {
        // prediction: library for parsing xml (4); reference: xml parsing library (3)
        // ROUGE-1: overlap 3 -> P = 3/4, R = 1, F = 2*(3/4)/(7/4) = 6/7
        // ROUGE-2: pred {library for, for parsing, parsing xml}, ref {xml parsing, parsing library}: 0
        // LCS: one of library / parsing / xml in order -> 1: P = 1/4, R = 1/3, F = 2/12/(7/12) = 2/7
        Rouge.Scores s = Rouge.score("library for parsing XML", "XML parsing library");
        assertEquals(0.75, s.rouge1().precision(), EPS);
        assertEquals(1, s.rouge1().recall(), EPS);
        assertEquals(6.0 / 7, s.rouge1().f1(), EPS);
        assertEquals(0, s.rouge2().f1(), EPS);
        assertEquals(2.0 / 7, s.rougeL().f1(), EPS);
    }

    @Test
    void repeatedNgramsAreClippedToTheReferenceCount() {
        // pred: a a a a (4), ref: a b (2): unigram overlap min(4,1) = 1: P = 1/4, R = 1/2, F = 1/3
        Rouge.Scores s = Rouge.score("a a a a", "a b");
        assertEquals(1.0 / 3, s.rouge1().f1(), EPS);
        assertEquals(1.0 / 3, s.rougeL().f1(), EPS);
    }

    @Test
    void emptySidesScoreZero() {
        assertEquals(0, Rouge.score("", "a b").rouge1().f1(), EPS);
        assertEquals(0, Rouge.score("a", "a").rouge2().f1(), EPS, "no bigrams on either side");
    }

    @Test
    void accumulatorAveragesF1() {
        Rouge.Accumulator acc = new Rouge.Accumulator();
        acc.add(Rouge.score("a b", "a b"));
        acc.add(Rouge.score("c", "d"));
        assertEquals(2, acc.count());
        assertEquals(0.5, acc.rouge1(), EPS);
        assertEquals(0.5, acc.rougeL(), EPS);
    }
}
