package elattn.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import elattn.runtime.ElattnRuntimeException;
import org.junit.jupiter.api.Test;

class WorkGroupsTest {
    private static final long[] ITEM_SIZES = {1024, 1024, 64};

    @Test
    void oneDimensionUsesGroupsOf256RoundedUp() {
        WorkGroups.NdRange r = WorkGroups.forParallel(new long[] {1000}, 1024, ITEM_SIZES);
        assertArrayEquals(new long[] {256}, r.local());
        assertArrayEquals(new long[] {1024}, r.global());
    }

    @Test
    void smallRangesShrinkTheGroup() {
        assertArrayEquals(new long[] {8}, WorkGroups.forParallel(new long[] {5}, 1024, ITEM_SIZES).local());
        WorkGroups.NdRange r = WorkGroups.forParallel(new long[] {3, 100}, 1024, ITEM_SIZES);
        assertArrayEquals(new long[] {4, 16}, r.local());
        assertArrayEquals(new long[] {4, 112}, r.global());
        assertArrayEquals(new long[] {8, 8, 4}, WorkGroups.forParallel(new long[] {9, 9, 9}, 1024, ITEM_SIZES).local());
        assertArrayEquals(new long[] {1, 1, 1}, WorkGroups.forParallel(new long[] {1, 1, 1}, 1024, ITEM_SIZES).global());
    }

    @Test
    void groupFitsTheKernelAndDeviceLimits() {
        WorkGroups.NdRange r = WorkGroups.forParallel(new long[] {100, 100}, 64, ITEM_SIZES);
        assertEquals(64, r.local()[0] * r.local()[1]);
        assertArrayEquals(new long[] {4, 8, 2}, WorkGroups.forParallel(new long[] {100, 100, 100}, 1024,
                new long[] {4, 16, 2}).local());
    }

    @Test
    void hugeRangesAreCappedAtMultiplesOfTheGroup() {
        WorkGroups.NdRange r = WorkGroups.forParallel(new long[] {1L << 31, 3000}, 1024, ITEM_SIZES);
        long items = r.global()[0] * r.global()[1];
        assertTrue(items <= WorkGroups.MAX_ITEMS, "capped at " + items);
        assertTrue(items > WorkGroups.MAX_ITEMS / 4, "capped too much: " + items);
        assertEquals(0, r.global()[0] % r.local()[0]);
        assertEquals(0, r.global()[1] % r.local()[1]);
    }

    @Test
    void workGroupKernelsGetExactlyTheirGrid() {
        WorkGroups.NdRange r = WorkGroups.exact("K.k", new long[] {512, 4}, new long[] {128, 1}, 256);
        assertArrayEquals(new long[] {512, 4}, r.global());
        assertArrayEquals(new long[] {128, 1}, r.local());
        assertNull(WorkGroups.exact("K.k", new long[] {100}, null, 256).local());
    }

    @Test
    void workGroupKernelsWithImpossibleGridsAreRejected() {
        var notMultiple = assertThrows(ElattnRuntimeException.class,
                () -> WorkGroups.exact("K.k", new long[] {500}, new long[] {128}, 256));
        assertTrue(notMultiple.getMessage().contains("K.k") && notMultiple.getMessage().contains("multiple"));
        var tooLarge = assertThrows(ElattnRuntimeException.class,
                () -> WorkGroups.exact("K.k", new long[] {1024}, new long[] {512}, 256));
        assertTrue(tooLarge.getMessage().contains("at most 256"), tooLarge.getMessage());
    }
}
