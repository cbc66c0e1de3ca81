package elattn.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

/** The work-group size the runtime picks for a KernelContext task whose grid gives none. */
class DefaultLocalWorkTest {
    @Test
    void largestPowersOfTwoThatDivideWithinTheGroupLimit() {
        assertArrayEquals(new long[] {256}, ExecutionPlan.defaultLocalWork(new long[] {1024}));
        assertArrayEquals(new long[] {8}, ExecutionPlan.defaultLocalWork(new long[] {1000}));
        assertArrayEquals(new long[] {1}, ExecutionPlan.defaultLocalWork(new long[] {7}));
        assertArrayEquals(new long[] {64, 4}, ExecutionPlan.defaultLocalWork(new long[] {64, 64}));
        assertArrayEquals(new long[] {1, 1}, ExecutionPlan.defaultLocalWork(new long[] {3, 5}));
        assertArrayEquals(new long[] {256, 1, 1}, ExecutionPlan.defaultLocalWork(new long[] {512, 3, 2}));
        assertArrayEquals(new long[] {2, 32, 4}, ExecutionPlan.defaultLocalWork(new long[] {6, 96, 4}));
    }
}
