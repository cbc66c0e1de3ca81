package elattn.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import elattn.kernel.FloatArray;
import elattn.testing.NamedPipes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every bad input of issue 3's loader list, made by copying an oracle checkpoint into a temporary
 * folder and damaging it: the load fails with a {@link CheckpointException} naming the file, and
 * the tensor or key, and saying what is wrong.
 */
class CheckpointErrorsTest {
    @TempDir
    Path tmp;

    /** A copy of an oracle checkpoint (config, generation config and weights; no cases.json). */
    private Path copy(String name) throws IOException {
        return Oracle.copy(name, tmp);
    }

    /** Loads config and weights, as a user of the library does. */
    private static void load(Path dir) {
        try (Checkpoint c = Checkpoint.open(dir)) {
            ModelWeights.load(c, ModelConfig.of(c), Precision.FP32);
        }
    }

    /** Asserts that loading fails with a message containing every one of {@code parts}. */
    private static void assertFails(Path dir, String... parts) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> load(dir));
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "\"" + p + "\" missing from: " + e.getMessage());
        }
    }

    private static void editJson(Path file, Consumer<JsonObject> edit) throws IOException {
        JsonObject o = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        edit.accept(o);
        Files.writeString(file, o.toString());
    }

    /** Rewrites a safetensors file's header; the data section is kept, with {@code extra} bytes appended. */
    private static void editHeader(Path file, Consumer<JsonObject> edit, byte[] extra) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        int headerLength = (int) ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        JsonObject header = JsonParser.parseString(new String(bytes, 8, headerLength, StandardCharsets.UTF_8))
                .getAsJsonObject();
        edit.accept(header);
        byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
        out.writeBytes(h);
        out.write(bytes, 8 + headerLength, bytes.length - 8 - headerLength);
        out.writeBytes(extra);
        Files.write(file, out.toByteArray());
    }

    private static void editHeader(Path file, Consumer<JsonObject> edit) {
        try {
            editHeader(file, edit, new byte[0]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonObject entry(JsonObject header, String tensor) {
        return header.getAsJsonObject(tensor);
    }

    @Test
    void missingConfig() throws IOException {
        Path dir = copy("bart");
        Files.delete(dir.resolve("config.json"));
        assertFails(dir, "config.json", "not found");
    }

    @Test
    void configThatIsNotJson() throws IOException {
        Path dir = copy("bart");
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"bart\",");
        assertFails(dir, "config.json", "not valid JSON");
    }

    /** A named pipe would block the reader until some program writes to it: each file is refused up front. */
    @ParameterizedTest
    @ValueSource(strings = {"config.json", "generation_config.json", "model.safetensors"})
    void namedPipeIsRefusedRatherThanWaitedOn(String file) throws Exception {
        Path dir = copy("bart");
        Files.delete(dir.resolve(file));
        NamedPipes.create(dir.resolve(file));
        CheckpointException e = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> assertThrows(CheckpointException.class, () -> load(dir)));
        assertTrue(e.getMessage().startsWith(dir.resolve(file) + ": is not a regular file"), e.getMessage());
    }

    @Test
    void folderWhereAFileBelongs() throws IOException {
        Path dir = copy("gpt2");
        Files.delete(dir.resolve("config.json"));
        Files.createDirectory(dir.resolve("config.json"));
        assertFails(dir, "config.json: is a folder where a file belongs");
    }

    /** Line breaks in names the files hold (here a shard name) are shown escaped: the message stays one line. */
    @Test
    void shardNameWithALineBreakStaysOneLine() throws IOException {
        Path dir = copy("gpt2-sharded");
        editJson(dir.resolve("model.safetensors.index.json"),
                o -> o.getAsJsonObject("weight_map").addProperty("transformer.wte.weight", "model\nx.safetensors"));
        CheckpointException e = assertThrows(CheckpointException.class, () -> load(dir));
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        assertTrue(e.getMessage().contains("model\\nx.safetensors: file not found"), e.getMessage());
    }

    @Test
    void indexWhoseShardIsNotAString() throws IOException {
        Path dir = copy("gpt2-sharded");
        editJson(dir.resolve("model.safetensors.index.json"),
                o -> o.getAsJsonObject("weight_map").add("transformer.wte.weight", JsonParser.parseString("[1]")));
        assertFails(dir, "model.safetensors.index.json: weight_map.transformer.wte.weight must be a string, not [1]");
    }

    /**
     * Marian's position table is computed from max_position_embeddings before any tensor is read:
     * the table's size of positions times d_model overflowed (NegativeArraySizeException).
     */
    @Test
    void positionTableTooLargeForOneArray() throws IOException {
        Path dir = copy("marian");
        editJson(dir.resolve("config.json"), o -> o.addProperty("max_position_embeddings", Integer.MAX_VALUE));
        assertFails(dir, "config.json: max positions 2147483647 times hidden size 48 is more than a position table can hold");
        editJson(dir.resolve("config.json"), o -> o.addProperty("max_position_embeddings", 50_000_000));
        assertFails(dir, "config.json: max positions 50000000 times hidden size 48 is more than");
    }

    @Test
    void missingWeights() throws IOException {
        Path dir = copy("gpt2");
        Files.delete(dir.resolve("model.safetensors"));
        assertFails(dir, dir.toString(), "no model.safetensors or model.safetensors.index.json");
    }

    @Test
    void missingShard() throws IOException {
        Path dir = copy("gpt2-sharded");
        Files.delete(dir.resolve("model-00003-of-00005.safetensors"));
        assertFails(dir, "model-00003-of-00005.safetensors", "not found");
    }

    @Test
    void indexThatNamesTheWrongShard() throws IOException {
        Path dir = copy("gpt2-sharded");
        editJson(dir.resolve("model.safetensors.index.json"), o -> {
            JsonObject map = o.getAsJsonObject("weight_map");
            String first = map.get("transformer.wte.weight").getAsString();
            String other = first.equals("model-00001-of-00005.safetensors") ? "model-00002-of-00005.safetensors"
                    : "model-00001-of-00005.safetensors";
            map.addProperty("transformer.wte.weight", other);
        });
        assertFails(dir, "has no tensor transformer.wte.weight", "model.safetensors.index.json says");
    }

    @Test
    void truncatedWeights() throws IOException {
        Path dir = copy("bart");
        Path f = dir.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(bytes, bytes.length / 2));
        assertFails(dir, "model.safetensors", "truncated", "tensor ");
    }

    @Test
    void headerThatLiesAboutOffsets() throws IOException {
        Path dir = copy("marian");
        String name = "model.encoder.layers.0.fc1.weight";
        editHeader(dir.resolve("model.safetensors"), h -> {
            JsonArray offsets = entry(h, name).getAsJsonArray("data_offsets");
            long end = offsets.get(1).getAsLong();
            JsonArray shifted = new JsonArray();
            shifted.add(offsets.get(0).getAsLong() + 1_000_000);
            shifted.add(end + 1_000_000);
            entry(h, name).add("data_offsets", shifted);
        });
        assertFails(dir, "model.safetensors", "tensor " + name, "truncated or corrupt");
    }

    @Test
    void headerWithOverlappingTensors() throws IOException {
        Path dir = copy("marian");
        editHeader(dir.resolve("model.safetensors"), h -> {
            // fc2.bias (48 floats) moved onto the first half of fc1.bias's bytes
            long begin = entry(h, "model.encoder.layers.0.fc1.bias").getAsJsonArray("data_offsets").get(0).getAsLong();
            JsonArray offsets = new JsonArray();
            offsets.add(begin);
            offsets.add(begin + 4 * 48);
            entry(h, "model.encoder.layers.0.fc2.bias").add("data_offsets", offsets);
        });
        assertFails(dir, "model.safetensors", "tensors model.encoder.layers.0.fc", "overlap");
    }

    @Test
    void wrongShape() throws IOException {
        Path dir = copy("bart");
        String name = "model.decoder.layers.1.fc1.weight";
        editHeader(dir.resolve("model.safetensors"), h -> {
            JsonArray transposed = new JsonArray();
            transposed.add(64);
            transposed.add(128);
            entry(h, name).add("shape", transposed);
        });
        assertFails(dir, "model.safetensors", "tensor " + name, "[64, 128]", "config.json implies [128, 64]");
    }

    @Test
    void configThatDisagreesWithTheWeights() throws IOException {
        Path dir = copy("gpt2");
        editJson(dir.resolve("config.json"), o -> o.addProperty("vocab_size", 500));
        assertFails(dir, "model.safetensors", "transformer.wte.weight", "[512, 64]", "[500, 64]");
    }

    @Test
    void dtypeThatDisagreesWithTheBytes() throws IOException {
        Path dir = copy("bart");
        String name = "model.encoder.layers.1.self_attn.q_proj.weight";
        editHeader(dir.resolve("model.safetensors"), h -> entry(h, name).addProperty("dtype", "F16"));
        assertFails(dir, "model.safetensors", "tensor " + name, "of F16 needs 8192");
    }

    @Test
    void unsupportedDtype() throws IOException {
        Path dir = copy("gpt2");
        String name = "transformer.h.0.ln_1.weight";
        editHeader(dir.resolve("model.safetensors"), h -> entry(h, name).addProperty("dtype", "I32"));
        assertFails(dir, "model.safetensors", "tensor " + name, "dtype I32", "F32, F16 and BF16");
    }

    @Test
    void unsupportedModelType() throws IOException {
        Path dir = copy("bart");
        editJson(dir.resolve("config.json"), o -> o.addProperty("model_type", "t5"));
        assertFails(dir, "config.json", "model_type \"t5\" is not supported", "bart, gpt2, marian");
    }

    @Test
    void unsupportedActivation() throws IOException {
        Path dir = copy("marian");
        editJson(dir.resolve("config.json"), o -> o.addProperty("activation_function", "quick_gelu"));
        assertFails(dir, "config.json", "\"quick_gelu\" is not supported", "gelu, gelu_new");
    }

    @Test
    void missingConfigKey() throws IOException {
        Path dir = copy("marian");
        editJson(dir.resolve("config.json"), o -> o.remove("d_model"));
        assertFails(dir, "config.json", "has no d_model");
    }

    @Test
    void missingTensor() throws IOException {
        Path dir = copy("bart");
        String name = "model.decoder.layers.1.encoder_attn_layer_norm.bias";
        editHeader(dir.resolve("model.safetensors"), h -> h.remove(name));
        assertFails(dir, "model.safetensors", "has no tensor " + name);
    }

    @Test
    void missingTiedEmbedding() throws IOException {
        Path dir = copy("marian");
        editHeader(dir.resolve("model.safetensors"), h -> h.remove("model.shared.weight"));
        assertFails(dir, "model.safetensors", "has no tensor model.shared.weight", "model.encoder.embed_tokens.weight");
    }

    /**
     * A GPT-2 base-model checkpoint (no {@code transformer.} prefix) with the attention-mask buffers
     * older checkpoints carry loads to the same weights.
     */
    @Test
    void gpt2WithoutPrefixAndWithMaskBuffersLoads() throws IOException {
        Path dir = copy("gpt2");
        Path f = dir.resolve("model.safetensors");
        long dataBytes = Files.size(f) - 8 - ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        int n = 64;
        editHeader(f, h -> {
            for (String key : h.keySet().stream().filter(k -> k.startsWith("transformer.")).toList()) {
                h.add(key.substring("transformer.".length()), h.remove(key));
            }
            for (int layer = 0; layer < 2; layer++) {
                long begin = dataBytes + 4L * n * n * layer;
                h.add("h." + layer + ".attn.bias", JsonParser.parseString("{\"dtype\":\"F32\",\"shape\":[1,1," + n + ","
                        + n + "],\"data_offsets\":[" + begin + "," + (begin + 4L * n * n) + "]}").getAsJsonObject());
            }
        }, new byte[2 * 4 * n * n]);
        try (Checkpoint base = Checkpoint.open(dir); Checkpoint original = Checkpoint.open(Oracle.dir("gpt2"))) {
            ModelWeights<FloatArray> a = ModelWeights.load(base, ModelConfig.of(base), Precision.FP32);
            ModelWeights<FloatArray> b = ModelWeights.load(original, ModelConfig.of(original), Precision.FP32);
            assertArrayEquals(b.lmHead().toHeapArray(), a.lmHead().toHeapArray());
            assertArrayEquals(b.decoder().layers().get(1).selfAttention().k().weight().toHeapArray(),
                    a.decoder().layers().get(1).selfAttention().k().weight().toHeapArray());
            assertArrayEquals(b.decoder().finalNorm().weight().toHeapArray(), a.decoder().finalNorm().weight().toHeapArray());
        }
    }
}
