package elattn.model.device;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The product-form rule's split along the depth ({@link KernelLaunches#splits}) at real models' sizes. */
class KernelLaunchesTest {
    private final KernelLaunches launches = new KernelLaunches(KernelForms.GROUP, false,
            KernelLaunches.TILED_MIN_BLOCKS, KernelLaunches.BLOCKED_MIN_BLOCKS, false,
            new KernelLaunches.Split(KernelLaunches.SPLIT_TARGET_BLOCKS, KernelLaunches.SPLIT_MIN_DEPTH));

    /**
     * GPT-2 small's fc2 (3072 to 768) at 64 rows has 12 blocks of 64 x 64: split into 11 parts (132
     * work-groups); at 8 rows the per-output form reads its weights once; at 256 rows 48 blocks
     * split into 3; fc1 at 1024 rows has enough blocks unsplit (tiled).
     */
    @Test
    void fewBlocksSplitAlongTheirDepth() {
        assertEquals(11, launches.splits(64, 768, 1, 3072));
        assertEquals(KernelLaunches.ProductForm.BLOCKED, launches.linearForm(64, 3072, 768));
        assertEquals(KernelLaunches.ProductForm.PER_OUTPUT, launches.linearForm(8, 3072, 768));
        assertEquals(3, launches.splits(256, 768, 1, 3072));
        assertEquals(1, launches.splits(256, 3072, 1, 768));
        assertEquals(KernelLaunches.ProductForm.TILED, launches.linearForm(1024, 768, 3072));
        // Never parts shallower than the minimum: a 128-deep product stays whole.
        assertEquals(1, launches.splits(64, 64, 1, 128));
        assertEquals(KernelLaunches.ProductForm.PER_OUTPUT, launches.productForm(64, 64, 1, 128, false));
        assertEquals(1, new KernelLaunches(KernelForms.GROUP, false, 128, 32, false, KernelLaunches.Split.NONE)
                .splits(64, 768, 1, 3072));
    }
}
