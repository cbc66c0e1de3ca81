package elattn.model.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Array sizes never wrap: a batch too large for 32-bit indexing is refused before allocation. */
class BuffersTest {
    @Test
    void sizesMultiplyExactly() {
        assertEquals(6 * 7 * 8, Buffers.size(6, 7, 8));
        assertEquals(Integer.MAX_VALUE, Buffers.size(Integer.MAX_VALUE, 1));
    }

    /** What the encoder's chunks keep from 2^31: one sentence's bart-large scores are fine, 128 sentences' are not. */
    @Test
    void anArrayPastTheIntRangeIsRefused() {
        assertEquals(1 << 24, Buffers.size(1024, 16, 1024));
        // sentences x source x heads x source = 128 x 1024 x 16 x 1024 = 2^31: one past the int range
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Buffers.size(128L * 1024, 16, 1024));
        assertTrue(e.getMessage().contains("2147483648 elements") && e.getMessage().contains("fewer sentences"),
                e.getMessage());
    }
}
