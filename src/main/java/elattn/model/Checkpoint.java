package elattn.model;

import com.google.gson.JsonObject;
import elattn.io.JsonFields;
import elattn.io.JsonFile;
import elattn.io.OneLine;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A HuggingFace checkpoint folder as {@code save_pretrained} writes it: {@code config.json},
 * optionally {@code generation_config.json}, and the weights in {@code model.safetensors} or
 * sharded with {@code model.safetensors.index.json}. The files are memory-mapped until
 * {@link #close()}; tensors are views of them.
 */
public final class Checkpoint implements AutoCloseable {
    public static final String CONFIG = "config.json";
    public static final String GENERATION_CONFIG = "generation_config.json";
    public static final String WEIGHTS = "model.safetensors";
    public static final String WEIGHTS_INDEX = "model.safetensors.index.json";

    private final Path dir;
    private final Arena arena;
    private final JsonObject config;
    private final JsonObject generationConfig;
    private final Map<String, Tensor> tensors;
    private final Map<String, Path> files;

    private Checkpoint(Path dir, Arena arena, JsonObject config, JsonObject generationConfig, Map<String, Tensor> tensors,
            Map<String, Path> files) {
        this.dir = dir;
        this.arena = arena;
        this.config = config;
        this.generationConfig = generationConfig;
        this.tensors = tensors;
        this.files = files;
    }

    /** Opens the checkpoint in {@code dir}, checking every file it names. */
    public static Checkpoint open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new CheckpointException(dir, Files.exists(dir) ? "not a folder; --model takes a checkpoint folder"
                    : "no such folder; --model takes a folder with config.json and model.safetensors");
        }
        JsonObject config = readJson(dir.resolve(CONFIG), true);
        JsonObject generationConfig = readJson(dir.resolve(GENERATION_CONFIG), false);
        Arena arena = Arena.ofShared();
        try {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            Map<String, Path> files = new LinkedHashMap<>();
            Path index = dir.resolve(WEIGHTS_INDEX);
            if (Files.exists(dir.resolve(WEIGHTS))) {
                tensors.putAll(SafeTensorsFile.open(dir.resolve(WEIGHTS), arena).tensors());
                tensors.keySet().forEach(name -> files.put(name, dir.resolve(WEIGHTS)));
            } else if (Files.exists(index)) {
                Map<Path, Map<String, Tensor>> shards = new LinkedHashMap<>();
                for (Map.Entry<String, String> e : weightMap(index).entrySet()) {
                    Path file = shardPath(dir, e.getValue(), index);
                    Tensor t = shards.computeIfAbsent(file, f -> SafeTensorsFile.open(f, arena).tensors()).get(e.getKey());
                    if (t == null) {
                        throw new CheckpointException(file, "has no tensor " + e.getKey()
                                + " although " + WEIGHTS_INDEX + " says it does");
                    }
                    tensors.put(e.getKey(), t);
                    files.put(e.getKey(), file);
                }
            } else {
                throw new CheckpointException(dir, "no " + WEIGHTS + " or " + WEIGHTS_INDEX
                        + " (only safetensors checkpoints are read; convert .bin files with save_pretrained)");
            }
            return new Checkpoint(dir, arena, config, generationConfig, Collections.unmodifiableMap(tensors),
                    Collections.unmodifiableMap(files));
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static Map<String, String> weightMap(Path index) {
        JsonFields map = JsonFields.of(readJson(index, true), index, CheckpointException::new).object("weight_map");
        Map<String, String> out = new TreeMap<>();
        map.json().keySet().forEach(name -> out.put(name, map.string(map.json().get(name), map.pathOf(name))));
        return out;
    }

    private static Path shardPath(Path dir, String file, Path index) {
        Path p;
        try {
            p = dir.resolve(file).normalize();
        } catch (InvalidPathException e) {
            throw new CheckpointException(index, "names a shard that is not a file name: " + OneLine.brief(file));
        }
        if (!p.startsWith(dir.normalize())) {
            throw new CheckpointException(index, "names a shard outside the checkpoint folder: " + OneLine.brief(file));
        }
        return p;
    }

    /** The object of a JSON file of the checkpoint; an optional one that is absent reads as {}. */
    static JsonObject readJson(Path file, boolean required) {
        if (!required && !Files.exists(file)) {
            return new JsonObject();
        }
        return JsonFile.readObject(file, CheckpointException::new);
    }

    public Path dir() {
        return dir;
    }

    /** The parsed {@code config.json}. */
    public JsonObject config() {
        return config;
    }

    /** The parsed {@code generation_config.json}; empty when the checkpoint has none. */
    public JsonObject generationConfig() {
        return generationConfig;
    }

    /** All tensors by name. */
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    /**
     * The file that holds a tensor, or for a tensor the checkpoint lacks, the file that would
     * (the weights file or the shard index), so errors can name it.
     */
    public Path fileOf(String name) {
        Path f = files.get(name);
        if (f != null) {
            return f;
        }
        return Files.exists(dir.resolve(WEIGHTS)) ? dir.resolve(WEIGHTS) : dir.resolve(WEIGHTS_INDEX);
    }

    public Optional<Tensor> find(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    @Override
    public void close() {
        arena.close();
    }
}
