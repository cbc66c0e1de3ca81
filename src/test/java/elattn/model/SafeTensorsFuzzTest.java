package elattn.model;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import elattn.testing.Fuzz;
import elattn.testing.JsonMutations;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fuzzing of {@link SafeTensorsFile} (see {@link Fuzz}): a small valid file cut at every byte, its
 * header mutated (fields removed, wrong types, other dtypes, shapes and offsets that do not fit,
 * overlapping tensors, deep nesting, bytes that are not UTF-8), its length field set to lies, its
 * bytes flipped, and random files. Every case must open, with every tensor's first and last element
 * readable, or fail with a {@link CheckpointException} of one line naming the file.
 */
class SafeTensorsFuzzTest {
    private static final String HEADER = "{\"__metadata__\":{\"format\":\"pt\"},"
            + "\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
            + "\"b\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[24,32]},"
            + "\"c\":{\"dtype\":\"BF16\",\"shape\":[],\"data_offsets\":[32,34]},"
            + "\"empty\":{\"dtype\":\"F32\",\"shape\":[0,5],\"data_offsets\":[34,34]}}";
    private static final byte[] DATA = SafeTensorsFileTest.concat(SafeTensorsFileTest.floats(1, 2, 3, 4, 5, 6),
            SafeTensorsFileTest.shorts(0x3c00, 0x4000, 0x4200, 0x4400), SafeTensorsFileTest.shorts(0x3f80));

    @TempDir
    Path dir;

    private Path file;
    private Fuzz.Run run;

    private void start() {
        file = dir.resolve("model.safetensors");
        run = Fuzz.run(file.toString(), List.of(CheckpointException.class));
    }

    /** Writes {@code bytes} as the file and opens it; {@code name} says how the case was made. */
    private void check(String name, byte[] bytes) {
        run.check(name, () -> {
            Files.write(file, bytes);
            try (Arena arena = Arena.ofConfined()) {
                for (Tensor t : SafeTensorsFile.open(file, arena).tensors().values()) {
                    if (t.elementCount() > 0) {
                        t.getFloat(0);
                        t.getFloat(t.elementCount() - 1);
                    }
                }
            }
        });
    }

    private static byte[] file(byte[] header, byte[] data) {
        return file(header.length, header, data);
    }

    private static byte[] file(long lengthField, byte[] header, byte[] data) {
        return ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(lengthField).put(header).put(data).array();
    }

    private static byte[] valid() {
        return file(HEADER.getBytes(StandardCharsets.UTF_8), DATA);
    }

    @Test
    void everyPrefixOfAValidFile() throws IOException {
        start();
        byte[] valid = valid();
        check("the valid file", valid);
        for (int n = 0; n < valid.length; n++) {
            check("the valid file cut to " + n + " bytes", Arrays.copyOf(valid, n));
        }
        run.assertAllEndedWell();
    }

    @Test
    void lengthFieldsThatLie() {
        start();
        byte[] h = HEADER.getBytes(StandardCharsets.UTF_8);
        long size = 8 + h.length + DATA.length;
        for (long lie : new long[] {0, 1, 2, h.length - 1, h.length + 1, h.length + 2, size - 8, size, size + 1,
                -1, Integer.MAX_VALUE, 1L << 31, 1L << 32, (1L << 32) + h.length, 100L << 20, (100L << 20) + 1,
                Long.MAX_VALUE, Long.MIN_VALUE, -h.length}) {
            check("header length field " + lie, file(lie, h, DATA));
        }
        run.assertAllEndedWell();
    }

    /** Tensor {@code a}'s shape and offsets set to each pair of values at and past the edges of what they can be. */
    @Test
    void shapesAndOffsetsAtTheEdges() {
        start();
        String[] shapes = {"[2,3]", "[6]", "[]", "[4611686018427387904,1]", "[2305843009213693952,2]", "[2147483648,2147483648]",
            "[9223372036854775807]", "[0,9223372036854775807]", "[-1,-6]", "[2.5,2]", "[6,1,1,1,1,1,1,1,1,1,1,1]"};
        String[] offsets = {"[0,24]", "[0,9223372036854775807]", "[9223372036854775807,9223372036854775807]", "[24,0]",
            "[-24,0]", "[0,18446744073709551616]", "[0.5,24.5]", "[0,24,48]", "[0]", "[24,48]", "[10,34]"};
        JsonObject header = JsonParser.parseString(HEADER).getAsJsonObject();
        for (String shape : shapes) {
            for (String offset : offsets) {
                JsonObject h = header.deepCopy();
                h.getAsJsonObject("a").add("shape", JsonParser.parseString(shape));
                h.getAsJsonObject("a").add("data_offsets", JsonParser.parseString(offset));
                check("tensor a with shape " + shape + " at " + offset, file(h.toString().getBytes(StandardCharsets.UTF_8), DATA));
            }
        }
        run.assertAllEndedWell();
    }

    @Test
    void mutatedHeaders() {
        start();
        JsonObject header = JsonParser.parseString(HEADER).getAsJsonObject();
        SplittableRandom r = Fuzz.random("safetensors header");
        for (int i = 0; i < Fuzz.tries(400); i++) {
            JsonMutations.Mutant m = JsonMutations.mutate(header, r);
            byte[] data = r.nextInt(4) == 0 ? Arrays.copyOf(DATA, r.nextInt(2 * DATA.length)) : DATA;
            check("header mutant " + i + ": " + m.description() + (data == DATA ? "" : "; data " + data.length + " bytes"),
                    file(m.bytes(), data));
        }
        run.assertAllEndedWell();
    }

    @Test
    void flippedBytesAndRandomFiles() {
        start();
        SplittableRandom r = Fuzz.random("safetensors bytes");
        byte[] valid = valid();
        for (int i = 0; i < Fuzz.tries(300); i++) {
            byte[] b = valid.clone();
            StringBuilder name = new StringBuilder("flips " + i + ":");
            for (int k = 0; k < 1 + r.nextInt(4); k++) {
                int at = r.nextInt(b.length);
                b[at] = (byte) r.nextInt(256);
                name.append(" byte ").append(at).append(" = ").append(b[at] & 0xff);
            }
            check(name.toString(), b);
        }
        for (int i = 0; i < Fuzz.tries(300); i++) {
            byte[] b = JsonMutations.randomBytes(r, 400);
            if (b.length >= 8 && r.nextBoolean()) {
                ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, r.nextInt(b.length));
            }
            check("random file " + i + " of " + b.length + " bytes", b);
        }
        run.assertAllEndedWell();
    }
}
