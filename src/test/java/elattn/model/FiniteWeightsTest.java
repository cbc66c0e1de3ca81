package elattn.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import elattn.testing.PoisonedWeights;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The NaN/infinity scan of checkpoint weights: the packed test against the JDK's own
 * {@code isNaN}/{@code isInfinite} of every F16 and BF16 bit pattern (and every F32 exponent), the
 * first bad element found wherever it lies (first word, past the first block, in the tail that is
 * not a whole word), and a damaged checkpoint refused with the file and tensor named.
 */
class FiniteWeightsTest {
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    Path tmp;

    private static boolean nonFinite(float v) {
        return Float.isNaN(v) || Float.isInfinite(v);
    }

    /** A tensor of {@code n} finite values (alternating signs, every exponent but the all-ones one). */
    private static Tensor finite(DType dtype, int n, Arena arena) {
        MemorySegment data = arena.allocate((long) n * dtype.bytes());
        Tensor t = new Tensor("t", dtype, new long[]{n}, data);
        for (int i = 0; i < n; i++) {
            set(t, i, (i % 2 == 0 ? 1 : -1) * (float) Math.scalb(1.0, i % 30 - 15));
        }
        return t;
    }

    private static void set(Tensor t, long i, float v) {
        switch (t.dtype()) {
            case F32 -> t.data().set(LE_INT, i * 4, Float.floatToRawIntBits(v));
            case F16 -> t.data().set(LE_SHORT, i * 2, Float.floatToFloat16(v));
            case BF16 -> t.data().set(LE_SHORT, i * 2, (short) (Float.floatToRawIntBits(v) >>> 16));
        }
    }

    @Test
    void everyHalfAndBfloat16PatternInEveryLane() {
        for (int bits = 0; bits < 1 << 16; bits++) {
            boolean half = nonFinite(Float.float16ToFloat((short) bits));
            boolean bf16 = nonFinite(Float.intBitsToFloat(bits << 16));
            for (int lane = 0; lane < 4; lane++) {
                // The other lanes hold 1.0 (finite) in the lane's format.
                long x = 0x3c003c00_3c003c00L & ~(0xffffL << 16 * lane) | (long) bits << 16 * lane;
                long y = 0x3f803f80_3f803f80L & ~(0xffffL << 16 * lane) | (long) bits << 16 * lane;
                assertEquals(half, FiniteWeights.nonFiniteLanes(x, 0x7c007c00_7c007c00L, 0x80008000_80008000L) != 0,
                        "F16 " + Integer.toHexString(bits) + " in lane " + lane);
                assertEquals(bf16, FiniteWeights.nonFiniteLanes(y, 0x7f807f80_7f807f80L, 0x80008000_80008000L) != 0,
                        "BF16 " + Integer.toHexString(bits) + " in lane " + lane);
            }
        }
    }

    @Test
    void everyFloat32ExponentWithEdgeMantissasInBothLanes() {
        int[] mantissas = {0, 1, 0x400000, 0x7fffff, 0x2aaaaa};
        for (int sign = 0; sign < 2; sign++) {
            for (int exponent = 0; exponent < 256; exponent++) {
                for (int m : mantissas) {
                    int bits = sign << 31 | exponent << 23 | m;
                    boolean expected = nonFinite(Float.intBitsToFloat(bits));
                    long one = Float.floatToRawIntBits(1f) & 0xffffffffL;
                    long low = one << 32 | (bits & 0xffffffffL);
                    long high = (long) bits << 32 | one;
                    assertEquals(expected, FiniteWeights.nonFiniteLanes(low, 0x7f800000_7f800000L, 0x80000000_80000000L) != 0);
                    assertEquals(expected, FiniteWeights.nonFiniteLanes(high, 0x7f800000_7f800000L, 0x80000000_80000000L) != 0);
                }
            }
        }
    }

    static Stream<Arguments> placements() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (DType dtype : DType.values()) {
            int n = 40_003; // past the first block of 4096 words, and a tail that is not a whole word
            for (long at : new long[]{0, 3, 4096 * 8 / dtype.bytes() + 1, n - 1}) {
                for (float value : new float[]{Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                    b.add(Arguments.of(dtype, n, at, value));
                }
            }
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0}: {3} at {2}")
    @MethodSource("placements")
    void findsTheFirstNonFiniteElement(DType dtype, int n, long at, float value) {
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = finite(dtype, n, arena);
            assertEquals(OptionalLong.empty(), FiniteWeights.firstNonFinite(t));
            set(t, at, value);
            assertEquals(OptionalLong.of(at), FiniteWeights.firstNonFinite(t));
            if (at + 1 < n) {
                set(t, n - 1, Float.NaN);
                assertEquals(OptionalLong.of(at), FiniteWeights.firstNonFinite(t), "the first of two");
            }
        }
    }

    @Test
    void aDamagedCheckpointIsRefusedWithFileAndTensor() throws IOException {
        for (String family : new String[]{"bart", "bart-fp16", "gpt2-bf16"}) {
            Path dir = PoisonedWeights.copy(Path.of("src/test/resources/oracle", family), tmp.resolve(family));
            try (Checkpoint clean = Checkpoint.open(dir)) {
                FiniteWeights.require(clean);
            }
            String tensor = family.startsWith("gpt2") ? "transformer.h.1.mlp.c_proj.bias" : "model.decoder.layers.1.fc2.bias";
            PoisonedWeights.poison(dir.resolve("model.safetensors"), tensor, 3, Float.NEGATIVE_INFINITY);
            try (Checkpoint damaged = Checkpoint.open(dir)) {
                CheckpointException e = assertThrows(CheckpointException.class, () -> FiniteWeights.require(damaged));
                assertEquals(dir.resolve("model.safetensors") + ": tensor " + tensor + " holds -infinity at element 3"
                        + " of 64: the weights are damaged (download or convert the checkpoint again);"
                        + " --no-check-weights loads them anyway", e.getMessage());
            }
        }
    }

    @Test
    void namesTheShardThatHoldsTheTensor() throws IOException {
        Path dir = PoisonedWeights.copy(Path.of("src/test/resources/oracle/gpt2-sharded"), tmp.resolve("sharded"));
        Path shard;
        String tensor;
        try (Checkpoint c = Checkpoint.open(dir)) {
            tensor = c.tensors().keySet().stream().filter(n -> n.endsWith("ln_f.weight")).findFirst().orElseThrow();
            shard = c.fileOf(tensor);
        }
        PoisonedWeights.poison(shard, tensor, 0, Float.NaN);
        try (Checkpoint damaged = Checkpoint.open(dir)) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> FiniteWeights.require(damaged));
            assertTrue(e.getMessage().startsWith(shard + ": tensor " + tensor + " holds NaN at element 0"), e.getMessage());
        }
    }
}
