package elattn.model.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import elattn.generate.Batch;
import elattn.generate.Candidates;
import elattn.generate.StepModel;
import elattn.generate.StepRequest;

/**
 * A {@link StepModel} that runs every call on an EL and an MHA {@link DeviceModel} of the same
 * weights and asserts, step by step, that both give the same logits (within {@link #TOLERANCE})
 * and the same candidates; the search goes on with EL's answer.
 */
final class TwinModel implements StepModel {
    static final float TOLERANCE = 1e-4f;

    private final DeviceModel el;
    private final DeviceModel mha;
    private final String label;
    private int step;

    TwinModel(DeviceModel el, DeviceModel mha, String label) {
        this.el = el;
        this.mha = mha;
        this.label = label;
    }

    @Override
    public int vocabSize() {
        return el.vocabSize();
    }

    @Override
    public Candidates start(Batch batch, int rowsPerSentence, StepRequest request) {
        step = 0;
        StepRequest keep = keepingLogits(request);
        return compare(el.start(batch, rowsPerSentence, keep), mha.start(batch, rowsPerSentence, keep), request);
    }

    @Override
    public Candidates next(int[] tokens, int[] parents, StepRequest request) {
        step++;
        StepRequest keep = keepingLogits(request);
        return compare(el.next(tokens, parents, keep), mha.next(tokens, parents, keep), request);
    }

    @Override
    public void close() {
        el.close();
        mha.close();
    }

    private static StepRequest keepingLogits(StepRequest r) {
        return new StepRequest(r.topK(), r.forcedToken(), r.bannedRows(), r.bannedTokens(), true);
    }

    private Candidates compare(Candidates e, Candidates m, StepRequest request) {
        String where = label + ", step " + step;
        assertEquals(e.logits().length, m.logits().length, where + ": logits");
        for (int i = 0; i < e.logits().length; i++) {
            if (!(Math.abs(e.logits()[i] - m.logits()[i]) <= TOLERANCE)) {
                fail(where + ": logit " + i + " (row " + i / el.vocabSize() + ") is " + e.logits()[i] + " with el and "
                        + m.logits()[i] + " with mha");
            }
        }
        assertArrayEquals(m.tokens(), e.tokens(), where + ": candidates of el and mha");
        for (int i = 0; i < e.scores().length; i++) {
            assertEquals(m.scores()[i], e.scores()[i], TOLERANCE, where + ": candidate score " + i);
        }
        return request.keepLogits() ? e : new Candidates(e.topK(), e.tokens(), e.scores(), null);
    }
}
