package elattn.bench;

import elattn.generate.Batch;
import elattn.generate.Candidates;
import elattn.generate.StepModel;
import elattn.generate.StepRequest;
import elattn.runtime.ExecutionListener;
import elattn.runtime.ExecutionResult;

/**
 * A {@link StepModel} in front of the benchmarked one that splits a generation into its prefill
 * ({@link #start}: the encoder, or the prompt steps, and the first scored step) and its decode
 * steps ({@link #next}), and, as the {@link ExecutionListener} of the run, adds up per phase what
 * the device plans report ({@link PhaseTotals}) and the device bytes allocated. A {@link #next} past the deadline throws {@link TimeLimitExceeded}.
 */
final class ProfiledModel implements StepModel, ExecutionListener {
    /** A generation ran past its time limit; the phases hold what was measured until then. */
    static final class TimeLimitExceeded extends RuntimeException {
        TimeLimitExceeded(String message) {
            super(message);
        }
    }

    private final StepModel delegate;
    private final long deadlineNanos;
    final PhaseTotals prefill = new PhaseTotals();
    final PhaseTotals decode = new PhaseTotals();
    private PhaseTotals current = prefill;
    long peakAllocatedBytes;
    /** Wall time of {@link #start}. */
    long prefillNanos;
    /** When {@link #start} returned, and when the last {@link #next} returned. */
    long prefillEnd;
    long lastStepEnd;
    int decodeSteps;

    ProfiledModel(StepModel delegate, long deadlineNanos) {
        this.delegate = delegate;
        this.deadlineNanos = deadlineNanos;
    }

    @Override
    public void executed(ExecutionResult result) {
        current.add(result);
        peakAllocatedBytes = Math.max(peakAllocatedBytes, result.getAllocatedBytes());
    }

    @Override
    public int vocabSize() {
        return delegate.vocabSize();
    }

    @Override
    public Candidates start(Batch batch, int rowsPerSentence, StepRequest request) {
        current = prefill;
        long t = System.nanoTime();
        Candidates c = delegate.start(batch, rowsPerSentence, request);
        prefillEnd = System.nanoTime();
        lastStepEnd = prefillEnd;
        prefillNanos = prefillEnd - t;
        return c;
    }

    @Override
    public Candidates next(int[] tokens, int[] parents, StepRequest request) {
        if (System.nanoTime() > deadlineNanos) {
            throw new TimeLimitExceeded("time limit reached after " + decodeSteps + " decode steps");
        }
        current = decode;
        Candidates c = delegate.next(tokens, parents, request);
        lastStepEnd = System.nanoTime();
        decodeSteps++;
        return c;
    }

    /**
     * Wall time of the decode steps: from the end of {@link #start} to the end of the last
     * {@link #next}, so the search's own work between steps counts as host time.
     */
    long decodeNanos() {
        return lastStepEnd - prefillEnd;
    }

    @Override
    public void close() {
        delegate.close();
    }
}
