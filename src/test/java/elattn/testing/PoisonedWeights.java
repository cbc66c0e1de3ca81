package elattn.testing;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Overwrites one element of one tensor in a {@code .safetensors} file, in place (the header is
 * read here, not by the code under test): how a test makes a checkpoint whose weights hold a NaN
 * or an infinity, as a damaged download or a diverged training run would.
 */
public final class PoisonedWeights {
    private PoisonedWeights() {
    }

    /** A copy of the checkpoint folder {@code from} in {@code to}, for a test to damage. */
    public static Path copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
        return to;
    }

    /** Sets element {@code element} (flat) of {@code tensor} to {@code value}, in the tensor's dtype (F32, F16 or BF16). */
    public static void poison(Path file, String tensor, long element, float value) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            byte[] length = new byte[8];
            f.readFully(length);
            long headerBytes = ByteBuffer.wrap(length).order(ByteOrder.LITTLE_ENDIAN).getLong();
            byte[] header = new byte[Math.toIntExact(headerBytes)];
            f.readFully(header);
            JsonObject spec = JsonParser.parseString(new String(header, StandardCharsets.UTF_8)).getAsJsonObject()
                    .getAsJsonObject(tensor);
            String dtype = spec.get("dtype").getAsString();
            long begin = spec.getAsJsonArray("data_offsets").get(0).getAsLong();
            ByteBuffer bytes = ByteBuffer.allocate(dtype.equals("F32") ? 4 : 2).order(ByteOrder.LITTLE_ENDIAN);
            switch (dtype) {
                case "F32" -> bytes.putFloat(value);
                case "F16" -> bytes.putShort(Float.floatToFloat16(value));
                case "BF16" -> bytes.putShort((short) (Float.floatToRawIntBits(value) >>> 16));
                default -> throw new IllegalArgumentException(tensor + " has dtype " + dtype);
            }
            f.seek(8 + headerBytes + begin + element * bytes.capacity());
            f.write(bytes.array());
        }
    }
}
