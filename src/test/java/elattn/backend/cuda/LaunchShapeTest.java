package elattn.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import elattn.runtime.ElattnRuntimeException;
import elattn.runtime.LaunchGrid;
import org.junit.jupiter.api.Test;

/** How launch grids become CUDA grids and blocks; needs no GPU. */
class LaunchShapeTest {
    private static LaunchShape parallel(long... global) {
        return LaunchShape.of(new LaunchGrid(global, null), "k");
    }

    @Test
    void parallelKernelsGetFullBlocksAndEnoughBlocksToCoverTheRange() {
        LaunchShape s = parallel(1_000_003);
        assertArrayEquals(new int[] {256, 1, 1}, s.block());
        assertArrayEquals(new int[] {3907, 1, 1}, s.grid()); // ceil(1000003 / 256)
        s = parallel(517, 300);
        assertArrayEquals(new int[] {32, 8, 1}, s.block());
        assertArrayEquals(new int[] {17, 38, 1}, s.grid());
        s = parallel(64, 64, 64);
        assertArrayEquals(new int[] {32, 4, 2}, s.block());
        assertArrayEquals(new int[] {2, 16, 32}, s.grid());
    }

    @Test
    void smallRangesShrinkTheBlockAndLendTheSpareThreadsToOtherDimensions() {
        assertArrayEquals(new int[] {5, 1, 1}, parallel(5).block());
        assertArrayEquals(new int[] {1, 256, 1}, parallel(1, 5000).block());
        assertArrayEquals(new int[] {4, 64, 1}, parallel(4, 100).block());
        assertArrayEquals(new int[] {3, 1, 1}, parallel(3, 1, 1).block());
        for (LaunchShape s : new LaunchShape[] {parallel(4, 100), parallel(1, 5000), parallel(7, 9, 3)}) {
            assertTrue(s.block()[0] * s.block()[1] * s.block()[2] <= 256, s.toString());
        }
    }

    @Test
    void hugeParallelRangesAreCappedSinceTheLoopsStride() {
        LaunchShape s = parallel(Integer.MAX_VALUE, 1L << 24);
        assertArrayEquals(new int[] {LaunchShape.MAX_GRID_X, LaunchShape.MAX_GRID_YZ, 1}, s.grid());
    }

    @Test
    void emptyRangesLaunchNothing() {
        assertTrue(parallel(0).isEmpty());
        assertTrue(parallel(10, 0).isEmpty());
        assertTrue(!parallel(1).isEmpty());
    }

    @Test
    void workGroupKernelsGetExactlyTheirGrid() {
        LaunchShape s = LaunchShape.of(new LaunchGrid(new long[] {1024, 6}, new long[] {128, 2}), "k");
        assertArrayEquals(new int[] {128, 2, 1}, s.block());
        assertArrayEquals(new int[] {8, 3, 1}, s.grid());
    }

    @Test
    void workGroupGridsThatCudaCannotRunAreRejectedWithTheReason() {
        var e = assertThrows(ElattnRuntimeException.class,
                () -> LaunchShape.of(new LaunchGrid(new long[] {100}, new long[] {32}), "Red.sum"));
        assertTrue(e.getMessage().contains("Red.sum") && e.getMessage().contains("not a multiple"), e.getMessage());
        e = assertThrows(ElattnRuntimeException.class,
                () -> LaunchShape.of(new LaunchGrid(new long[] {2048, 64}, new long[] {64, 32}), "k"));
        assertTrue(e.getMessage().contains("exceeds CUDA's limit of 1024"), e.getMessage());
        e = assertThrows(ElattnRuntimeException.class,
                () -> LaunchShape.of(new LaunchGrid(new long[] {1 << 20, 1 << 20}, new long[] {1, 1}), "k"));
        assertTrue(e.getMessage().contains("65535"), e.getMessage());
    }
}
