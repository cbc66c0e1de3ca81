package elattn.model;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One {@code .safetensors} file, memory-mapped: an 8-byte little-endian header length, a JSON header
 * naming each tensor's dtype, shape and byte range, then the data. Every claim of the header is
 * checked against the file before any tensor is handed out, so a truncated file or a header that
 * lies about offsets is an error naming the file and tensor, never a crash or garbage weights.
 */
public final class SafeTensorsFile {
    /** Headers larger than this are refused as corrupt (HF's own reader uses the same bound). */
    private static final long MAX_HEADER_BYTES = 100L << 20;

    private final Path path;
    private final Map<String, Tensor> tensors;
    private final Map<String, String> metadata;

    private SafeTensorsFile(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) {
        this.path = path;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Maps the file for as long as {@code arena} is open. */
    public static SafeTensorsFile open(Path path, Arena arena) {
        MemorySegment file;
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            file = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(path, "file not found");
        } catch (IOException e) {
            throw new CheckpointException(path, "cannot read: " + e.getMessage(), e);
        }
        if (file.byteSize() < 8) {
            throw new CheckpointException(path, "truncated: " + file.byteSize() + " bytes, not even the 8-byte header length");
        }
        long headerBytes = file.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (headerBytes <= 0 || headerBytes > MAX_HEADER_BYTES || 8 + headerBytes > file.byteSize()) {
            throw new CheckpointException(path, "corrupt or truncated: header length " + headerBytes
                    + " does not fit the file of " + file.byteSize() + " bytes");
        }
        String json = new String(file.asSlice(8, headerBytes).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        JsonObject header;
        try {
            header = JsonParser.parseString(json).getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            throw new CheckpointException(path, "corrupt header: not a JSON object (" + e.getMessage() + ")");
        }
        MemorySegment data = file.asSlice(8 + headerBytes);
        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        List<Tensor> byOffset = new ArrayList<>();
        for (Map.Entry<String, JsonElement> e : header.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                e.getValue().getAsJsonObject().entrySet().forEach(m -> metadata.put(m.getKey(), m.getValue().getAsString()));
                continue;
            }
            Tensor t = tensor(path, e.getKey(), e.getValue(), data);
            tensors.put(t.name(), t);
            byOffset.add(t);
        }
        byOffset.sort(Comparator.comparingLong(t -> t.data().address()));
        for (int i = 1; i < byOffset.size(); i++) {
            Tensor before = byOffset.get(i - 1);
            Tensor t = byOffset.get(i);
            if (t.data().address() < before.data().address() + before.data().byteSize()) {
                throw new CheckpointException(path, "corrupt header: tensors " + before.name() + " and " + t.name()
                        + " overlap at byte " + (t.data().address() - data.address()));
            }
        }
        return new SafeTensorsFile(path, Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
    }

    private static Tensor tensor(Path path, String name, JsonElement spec, MemorySegment data) {
        try {
            JsonObject o = spec.getAsJsonObject();
            String dtypeName = o.get("dtype").getAsString();
            DType dtype = DType.fromSafetensors(dtypeName);
            if (dtype == null) {
                throw new CheckpointException(path, "tensor " + name + " has dtype " + dtypeName
                        + "; supported are F32, F16 and BF16 (convert the checkpoint with torch_dtype=float16 or float32)");
            }
            var shapeJson = o.getAsJsonArray("shape");
            long[] shape = new long[shapeJson.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = shapeJson.get(i).getAsLong();
                if (shape[i] < 0) {
                    throw new CheckpointException(path, "tensor " + name + " has a negative dimension");
                }
            }
            var offsets = o.getAsJsonArray("data_offsets");
            long begin = offsets.get(0).getAsLong();
            long end = offsets.get(1).getAsLong();
            long expected = Tensor.elementCount(shape) * dtype.bytes();
            if (begin < 0 || end < begin || end > data.byteSize()) {
                throw new CheckpointException(path, "tensor " + name + " claims bytes [" + begin + ", " + end
                        + ") but the data section has " + data.byteSize() + " bytes (truncated or corrupt file)");
            }
            if (end - begin != expected) {
                throw new CheckpointException(path, "tensor " + name + " has " + (end - begin) + " bytes but its shape "
                        + java.util.Arrays.toString(shape) + " of " + dtype + " needs " + expected);
            }
            return new Tensor(name, dtype, shape, data.asSlice(begin, end - begin));
        } catch (CheckpointException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CheckpointException(path, "corrupt header entry for tensor " + name + ": " + e.getMessage());
        }
    }

    public Path path() {
        return path;
    }

    /** Tensors by name, in header order. */
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    /** The header's {@code __metadata__} strings. */
    public Map<String, String> metadata() {
        return metadata;
    }
}
