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

    @Test
    void bartLargeEncoderScoresAtBatch128AreRefused() {
        // sentences x source x heads x source = 128 x 1024 x 16 x 1024 = 2^31: one past the int range
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Buffers.size(128L * 1024, 16, 1024));
        assertTrue(e.getMessage().contains("2147483648 elements") && e.getMessage().contains("fewer sentences"),
                e.getMessage());
    }
}
