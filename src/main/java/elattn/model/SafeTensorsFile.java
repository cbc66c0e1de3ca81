package elattn.model;

import com.google.gson.JsonElement;
import elattn.io.JsonFields;
import elattn.io.JsonFile;
import elattn.io.OneLine;
import elattn.io.RegularFile;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
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
        RegularFile.require(path, CheckpointException::new);
        MemorySegment file;
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            file = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(path, "file not found");
        } catch (IOException e) {
            throw new CheckpointException(path, JsonFile.cannotRead(e), e);
        }
        if (file.byteSize() < 8) {
            throw new CheckpointException(path, "truncated: " + file.byteSize() + " bytes, not even the 8-byte header length");
        }
        long headerBytes = file.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (headerBytes <= 0 || headerBytes > MAX_HEADER_BYTES || 8 + headerBytes > file.byteSize()) {
            throw new CheckpointException(path, "corrupt or truncated: header length " + headerBytes
                    + " does not fit the file of " + file.byteSize() + " bytes");
        }
        JsonFields header = JsonFields.of(JsonFile.parseObject(headerText(path, file.asSlice(8, headerBytes)), path,
                (f, problem) -> new CheckpointException(f, "corrupt header: " + problem)), path, CheckpointException::new);
        MemorySegment data = file.asSlice(8 + headerBytes);
        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        List<Tensor> byOffset = new ArrayList<>();
        for (String name : header.json().keySet()) {
            if (name.equals("__metadata__")) {
                JsonFields m = header.object(header.json().get(name), name);
                m.json().keySet().forEach(key -> metadata.put(key, m.string(m.json().get(key), m.pathOf(key))));
                continue;
            }
            Tensor t = tensor(header, name, data);
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

    /** The header as text: it must be UTF-8, as the format says (not replaced characters that hide damage). */
    private static String headerText(Path path, MemorySegment bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(bytes.asByteBuffer()).toString();
        } catch (CharacterCodingException e) {
            throw new CheckpointException(path, "corrupt header: not UTF-8 text; " + JsonFile.REPAIR);
        }
    }

    /** One tensor's entry: {@code {"dtype": ..., "shape": [...], "data_offsets": [begin, end]}}. */
    private static Tensor tensor(JsonFields header, String name, MemorySegment data) {
        Path path = header.file();
        JsonFields o = header.object(header.json().get(name), "tensor " + name);
        String dtypeName = o.string("dtype");
        DType dtype = DType.fromSafetensors(dtypeName);
        if (dtype == null) {
            throw new CheckpointException(path, "tensor " + name + " has dtype " + OneLine.brief(dtypeName)
                    + "; supported are F32, F16 and BF16 (convert the checkpoint with torch_dtype=float16 or float32)");
        }
        List<JsonElement> shapeJson = o.array("shape");
        long[] shape = new long[shapeJson.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = o.integer(shapeJson.get(i), o.pathOf("shape") + "[" + i + "]", 0, Long.MAX_VALUE);
        }
        List<JsonElement> offsets = o.array("data_offsets");
        if (offsets.size() != 2) {
            throw o.wrongType(o.pathOf("data_offsets"), "two byte offsets [begin, end]", o.get("data_offsets"));
        }
        long begin = o.integer(offsets.get(0), o.pathOf("data_offsets") + "[0]", 0, Long.MAX_VALUE);
        long end = o.integer(offsets.get(1), o.pathOf("data_offsets") + "[1]", 0, Long.MAX_VALUE);
        if (end < begin || end > data.byteSize()) {
            throw new CheckpointException(path, "tensor " + name + " claims bytes [" + begin + ", " + end
                    + ") but the data section has " + data.byteSize() + " bytes (truncated or corrupt file)");
        }
        long expected;
        try {
            expected = Math.multiplyExact(Tensor.elementCount(shape), dtype.bytes());
        } catch (ArithmeticException e) {
            expected = -1;
        }
        if (end - begin != expected) {
            throw new CheckpointException(path, "tensor " + name + " has " + (end - begin) + " bytes but its shape "
                    + Tensor.shapeText(shape) + " of " + dtype + " needs "
                    + (expected < 0 ? "more than 2^63" : String.valueOf(expected)) + " (corrupt header)");
        }
        return new Tensor(name, dtype, shape, data.asSlice(begin, end - begin));
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
