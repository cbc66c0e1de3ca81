package elattn.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code elattn eval} and {@code bench} on a gzip JSONL split, and the embedded-model cache. */
class EvalAndEmbeddedTest {
    @TempDir
    Path tmp;

    @Test
    void evalReportsRougeForBothModesAndTheBaseline() throws IOException {
        Path bart = TinyCheckpoints.bart(tmp.resolve("bart"));
        Path data = tmp.resolve("split.jsonl.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(data))) {
            // baseline: record 1's first sentence is its synopsis (F1 1 for ROUGE-1, -2, -L), record 2's
            // shares no token with it (F1 0): means 50.00
            out.write(("""
                    {"package": "a", "synopsis": "Fast text search", "description": "Fast text search. It indexes files.", "split": "test"}
                    {"package": "b", "synopsis": "Image viewer", "description": "Shows pictures 2.0 quickly.\\nMore.", "split": "test"}
                    {"package": "c", "synopsis": "not evaluated", "description": "Other split.", "split": "train"}
                    """).getBytes());
        }
        Path json = tmp.resolve("eval.json");
        CliRun r = CliRun.run("eval", "--model", bart.toString(), "--device", "jvm", "--input", data.toString(),
                "--split", "test", "--max-new-tokens", "6", "--num-beams", "2", "--json", json.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("2 records of " + data + " (split test)"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("baseline     50.00    50.00    50.00")), r.out());
        assertTrue(r.out().contains("outputs of el and mha identical: yes"), r.out());
        JsonObject o = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        assertEquals(2, o.get("records").getAsInt());
        assertTrue(o.get("identical_outputs").getAsBoolean());
        for (String mode : new String[]{"el", "mha"}) {
            JsonObject m = o.getAsJsonObject("modes").getAsJsonObject(mode);
            assertTrue(m.get("peak_device_bytes").getAsLong() > 0, m.toString());
            assertTrue(m.get("samples_per_second").getAsDouble() > 0, m.toString());
        }
        assertTrue(o.getAsJsonObject("modes").getAsJsonObject("el").get("attention_cache_bytes").getAsLong()
                < o.getAsJsonObject("modes").getAsJsonObject("mha").get("attention_cache_bytes").getAsLong(),
                "EL caches less than MHA with 2 beams");
        assertEquals(0.5, o.getAsJsonObject("baseline_first_sentence").get("rougeL").getAsDouble(), 1e-12);
    }

    @Test
    void firstSentenceEndsAtPunctuationBeforeWhitespace() {
        assertEquals("Fast text search.", EvalCommand.firstSentence("Fast text search. It indexes files."));
        assertEquals("Shows pictures 2.0 quickly.", EvalCommand.firstSentence("Shows pictures 2.0 quickly.\nMore."));
        assertEquals("No full stop", EvalCommand.firstSentence("No full stop\nsecond line"));
    }

    @Test
    void benchTimesBothModes() throws IOException {
        Path bart = TinyCheckpoints.bart(tmp.resolve("bart"));
        CliRun r = CliRun.run("bench", "--model", bart.toString(), "--device", "jvm", "--records", "3", "--batch-size", "2",
                "--max-new-tokens", "4", "one text", "two");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("el ")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("mha ")), r.out());
        assertTrue(r.out().contains("outputs identical across modes: yes"), r.out());
    }

    @Test
    void embeddedModelIsExtractedOnceByContentHash() throws IOException {
        Path source = modelSource();
        withCache(() -> {
            StringWriter notices = new StringWriter();
            PrintWriter err = new PrintWriter(notices, true);
            Path first = EmbeddedModels.extractFrom("m", source, err);
            Path again = EmbeddedModels.extractFrom("m", source, err);
            assertEquals(first, again);
            assertEquals("", notices.toString(), "an intact copy is used silently");
            assertTrue(first.getFileName().toString().matches("m-[0-9a-f]{16}"), first.toString());
            assertArrayEquals(new byte[]{1, 2, 3}, Files.readAllBytes(first.resolve("model.safetensors")));
            try (var s = Files.list(first.getParent())) {
                assertEquals(1, s.count(), "no temporary folder left behind");
            }
            Files.write(source.resolve("model.safetensors"), new byte[]{4});
            Path changed = EmbeddedModels.extractFrom("m", source, err);
            assertTrue(!changed.equals(first), "other content, other folder");
        });
    }

    /** A cached copy damaged in place (same size, other bytes), cut short of a file, or with a stray file is extracted again, with a notice. */
    @Test
    void damagedCachedCopyIsExtractedAgainWithANotice() throws IOException {
        Path source = modelSource();
        withCache(() -> {
            StringWriter notices = new StringWriter();
            PrintWriter err = new PrintWriter(notices, true);
            Path copy = EmbeddedModels.extractFrom("m", source, err);
            Files.write(copy.resolve("model.safetensors"), new byte[]{1, 2, 4});
            assertEquals(copy, EmbeddedModels.extractFrom("m", source, err));
            assertArrayEquals(new byte[]{1, 2, 3}, Files.readAllBytes(copy.resolve("model.safetensors")));
            assertTrue(notices.toString().startsWith("elattn: the cached copy of the embedded model m in " + copy
                    + " is damaged (model.safetensors differs from the jar's (SHA-256)); extracting it again"),
                    notices.toString());

            Files.delete(copy.resolve("config.json"));
            EmbeddedModels.extractFrom("m", source, err);
            assertEquals("{}", Files.readString(copy.resolve("config.json")));
            assertTrue(notices.toString().contains("(config.json is missing)"), notices.toString());

            Files.writeString(copy.resolve("model.safetensors.index.json"), "{}");
            EmbeddedModels.extractFrom("m", source, err);
            assertTrue(Files.notExists(copy.resolve("model.safetensors.index.json")));
            assertTrue(notices.toString().contains("(it holds files the model has not: model.safetensors.index.json)"),
                    notices.toString());
            assertEquals(3, notices.toString().lines().count(), notices.toString());
            try (var s = Files.list(copy.getParent())) {
                assertEquals(1, s.count(), "no damaged or temporary folder left behind");
            }
        });
    }

    private Path modelSource() throws IOException {
        Path source = tmp.resolve("src");
        Files.createDirectories(source);
        Files.writeString(source.resolve("config.json"), "{}");
        Files.write(source.resolve("model.safetensors"), new byte[]{1, 2, 3});
        return source;
    }

    /** An action that may fail with an IOException. */
    private interface IoAction {
        void run() throws IOException;
    }

    /** Runs {@code action} with the model cache in this test's folder. */
    private void withCache(IoAction action) throws IOException {
        String old = System.getProperty("elattn.cache");
        System.setProperty("elattn.cache", tmp.resolve("cache").toString());
        try {
            action.run();
        } finally {
            if (old == null) {
                System.clearProperty("elattn.cache");
            } else {
                System.setProperty("elattn.cache", old);
            }
        }
    }
}
