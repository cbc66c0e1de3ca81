package elattn.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import elattn.testing.NamedPipes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The safetensors reader against files written byte by byte here, following the format's spec. */
class SafeTensorsFileTest {
    @TempDir
    Path dir;

    /** Writes a safetensors file: header length, the given JSON header, then {@code data}. */
    static Path write(Path file, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
        out.write(h);
        out.write(data);
        Files.write(file, out.toByteArray());
        return file;
    }

    static byte[] floats(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    static byte[] shorts(int... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            b.putShort((short) v);
        }
        return b.array();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    @Test
    void readsF32F16AndBf16Tensors() throws IOException {
        // 1.5 in fp16 is 0x3E00; -2.0 is 0xC000. In bf16 1.5 is 0x3FC0, 0.25 is 0x3E80.
        Path f = write(dir.resolve("m.safetensors"), """
                {"__metadata__":{"format":"pt"},
                 "a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},
                 "h":{"dtype":"F16","shape":[2],"data_offsets":[16,20]},
                 "b":{"dtype":"BF16","shape":[2],"data_offsets":[20,24]}}""",
                concat(floats(1, 2, 3, 4), shorts(0x3E00, 0xC000), shorts(0x3FC0, 0x3E80)));
        try (Arena arena = Arena.ofConfined()) {
            SafeTensorsFile st = SafeTensorsFile.open(f, arena);
            assertEquals("pt", st.metadata().get("format"));
            Tensor a = st.tensors().get("a");
            assertArrayEquals(new long[] {2, 2}, a.shape());
            assertArrayEquals(new float[] {1, 2, 3, 4}, a.toFloatArray().toHeapArray());
            assertArrayEquals(new float[] {1.5f, -2f}, st.tensors().get("h").toFloatArray().toHeapArray());
            assertArrayEquals(new float[] {1.5f, 0.25f}, st.tensors().get("b").toFloatArray().toHeapArray());
            assertArrayEquals(new float[] {1, 2, 3, 4}, a.toHalfFloatArray().toHeapArray());
        }
    }

    private CheckpointException failure(String header, byte[] data) throws IOException {
        Path f = write(dir.resolve("bad.safetensors"), header, data);
        try (Arena arena = Arena.ofConfined()) {
            return assertThrows(CheckpointException.class, () -> SafeTensorsFile.open(f, arena));
        }
    }

    @Test
    void missingFileIsNamed() {
        try (Arena arena = Arena.ofConfined()) {
            Path missing = dir.resolve("nope.safetensors");
            CheckpointException e = assertThrows(CheckpointException.class, () -> SafeTensorsFile.open(missing, arena));
            assertTrue(e.getMessage().contains("nope.safetensors") && e.getMessage().contains("not found"), e.getMessage());
        }
    }

    @Test
    void fileShorterThanItsHeaderLengthIsTruncated() throws IOException {
        Path f = dir.resolve("t.safetensors");
        Files.write(f, concat(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).array(), new byte[10]));
        try (Arena arena = Arena.ofConfined()) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> SafeTensorsFile.open(f, arena));
            assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        }
        Files.write(f, new byte[3]);
        try (Arena arena = Arena.ofConfined()) {
            assertThrows(CheckpointException.class, () -> SafeTensorsFile.open(f, arena));
        }
    }

    @Test
    void dataCutShortIsTruncated() throws IOException {
        CheckpointException e = failure("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", floats(1, 2));
        assertTrue(e.getMessage().contains("tensor a") && e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void headerThatLiesAboutOffsetsIsRefused() throws IOException {
        CheckpointException e = failure("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,4]}}", floats(1, 2, 3));
        assertTrue(e.getMessage().contains("tensor a"), e.getMessage());
        CheckpointException overlap = failure("""
                {"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},
                 "b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", floats(1, 2, 3));
        assertTrue(overlap.getMessage().contains("overlap"), overlap.getMessage());
    }

    @Test
    void shapeThatDisagreesWithTheByteCountIsRefused() throws IOException {
        CheckpointException e = failure("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", floats(1, 2));
        assertTrue(e.getMessage().contains("tensor w") && e.getMessage().contains("needs 12"), e.getMessage());
    }

    @Test
    void unsupportedDtypeSaysWhatIsSupported() throws IOException {
        CheckpointException e = failure("{\"q\":{\"dtype\":\"I8\",\"shape\":[4],\"data_offsets\":[0,4]}}", new byte[4]);
        assertTrue(e.getMessage().contains("tensor q") && e.getMessage().contains("F32, F16 and BF16"), e.getMessage());
    }

    @Test
    void headerThatIsNotJsonIsCorrupt() throws IOException {
        CheckpointException e = failure("not json at all", new byte[0]);
        assertTrue(e.getMessage().contains("corrupt header"), e.getMessage());
    }

    /** Gson's message has a second line (a troubleshooting link) and its exception's class name: neither is shown. */
    @Test
    void headerThatIsNotJsonIsOneLineThatSaysWhatToDo() throws IOException {
        for (String header : new String[] {"not json at all", "{\"a\" {}}", "{\"a\": {\"dtype\": \"F32\","}) {
            String m = failure(header, new byte[0]).getMessage();
            assertEquals(1, m.lines().count(), m);
            assertTrue(m.startsWith(dir.resolve("bad.safetensors") + ": corrupt header: not valid JSON ("), m);
            assertTrue(m.endsWith("); repair or re-download the file"), m);
            assertFalse(m.contains("Exception") || m.contains("gson") || m.contains("JsonReader"), m);
        }
    }

    /** 2^62 F32 elements are 2^64 bytes, which wrapped to 0 and passed as the 0 bytes the offsets give. */
    @Test
    void shapeWhoseByteCountOverflowsIsRefused() throws IOException {
        CheckpointException e = failure("{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,1],"
                + "\"data_offsets\":[0,0]}}", new byte[0]);
        assertTrue(e.getMessage().contains("tensor w has 0 bytes but its shape [4611686018427387904, 1] of F32 needs"
                + " more than 2^63"), e.getMessage());
    }

    @Test
    void entriesOfTheWrongTypeNameTheField() throws IOException {
        String m = failure("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":\"0,8\"}}", floats(1, 2)).getMessage();
        assertTrue(m.endsWith("bad.safetensors: tensor w.data_offsets must be a list, not \"0,8\"; repair or re-download"
                + " the file"), m);
        m = failure("{\"__metadata__\":{\"format\":[\"pt\"]}}", new byte[0]).getMessage();
        assertTrue(m.endsWith("bad.safetensors: __metadata__.format must be a string, not [\"pt\"]; repair or re-download"
                + " the file"), m);
    }

    @Test
    void namedPipeIsRefusedRatherThanWaitedOn() throws Exception {
        Path fifo = NamedPipes.create(dir.resolve("model.safetensors"));
        CheckpointException e = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            try (Arena arena = Arena.ofConfined()) {
                return assertThrows(CheckpointException.class, () -> SafeTensorsFile.open(fifo, arena));
            }
        });
        assertTrue(e.getMessage().startsWith(fifo + ": is not a regular file (a named pipe, device or socket)"),
                e.getMessage());
    }
}
