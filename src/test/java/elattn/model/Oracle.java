package elattn.model;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** The HF transformers oracle of {@code src/test/resources/oracle/} (see its README.md). */
final class Oracle {
    private Oracle() {
    }

    /** The checkpoint folder of a family or variant, e.g. {@code bart} or {@code gpt2-bf16}. */
    static Path dir(String name) {
        try {
            return Path.of(Oracle.class.getResource("/oracle/" + name + "/config.json").toURI()).getParent();
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("oracle checkpoint " + name + " is not on the test class path", e);
        }
    }

    /** A copy of the checkpoint folder {@code name} in {@code parent}, without its cases.json. */
    static Path copy(String name, Path parent) throws IOException {
        Path dir = Files.createDirectories(parent.resolve(name));
        try (Stream<Path> files = Files.list(dir(name))) {
            for (Path f : files.filter(f -> !f.getFileName().toString().equals("cases.json")).toList()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        return dir;
    }

    /** The folder's cases.json. */
    static JsonObject cases(String name) {
        try {
            return JsonParser.parseString(Files.readString(dir(name).resolve("cases.json"))).getAsJsonObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int[] ints(JsonArray a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsInt();
        }
        return out;
    }

    static double[] doubles(JsonArray a) {
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsDouble();
        }
        return out;
    }
}
