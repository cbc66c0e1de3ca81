package elattn.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import elattn.testing.Fuzz;
import elattn.testing.JsonMutations;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fuzzing of the JSONL input reader {@link Inputs#fromJsonl} (see {@link Fuzz}): records mutated
 * one by one, plain and gzip files cut at every byte, gzip bytes flipped, random files. Every case
 * must give records or fail with a {@link CliException} of one line naming the file.
 */
class InputsFuzzTest {
    private static final List<String> RECORDS = List.of(
            "{\"id\": \"a\", \"text\": \"A first text.\", \"summary\": \"first\", \"split\": \"test\"}",
            "{\"id\": 2, \"input_ids\": [0, 31414, 2], \"attention_mask\": [1, 1, 1], \"summary\": \"ids\", \"split\": \"test\"}",
            "{\"text\": \"No id: the line number is the id.\", \"summary\": \"third\", \"split\": \"train\"}");
    /** As {@code summarize --input} reads them, and as {@code eval --split test} does. */
    private static final List<Inputs.Fields> FIELDS = List.of(new Inputs.Fields("text", "id", null, null),
            new Inputs.Fields("text", "id", "summary", "test"));

    @TempDir
    Path tmp;

    private Path file;
    private Fuzz.Run run;

    @BeforeEach
    void start() {
        file = tmp.resolve("inputs.jsonl");
        run = Fuzz.run(file.toString(), List.of(CliException.class));
    }

    private void check(String name, byte[] bytes) {
        for (Inputs.Fields fields : FIELDS) {
            run.check(name + (fields.split() == null ? "" : " (eval)"), () -> {
                Files.write(file, bytes);
                Inputs.fromJsonl(file, InputStream.nullInputStream(), fields);
            });
        }
    }

    private static byte[] jsonl(List<String> lines) {
        return (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(bytes);
        }
        return out.toByteArray();
    }

    @Test
    void mutatedRecords() {
        SplittableRandom r = Fuzz.random("jsonl records");
        for (int i = 0; i < Fuzz.tries(300); i++) {
            int line = r.nextInt(RECORDS.size());
            JsonObject record = JsonParser.parseString(RECORDS.get(line)).getAsJsonObject();
            JsonMutations.Mutant m = JsonMutations.mutate(record, r);
            String[] lines = RECORDS.toArray(String[]::new);
            lines[line] = m.text();
            check("record mutant " + i + ", line " + (line + 1) + ": " + m.description(), jsonl(List.of(lines)));
        }
        run.assertAllEndedWell();
    }

    @Test
    void everyPrefixOfAPlainAndAGzipFile() throws IOException {
        byte[] plain = jsonl(RECORDS);
        byte[] gz = gzip(plain);
        for (int n = 0; n <= plain.length; n++) {
            check("the plain file cut to " + n + " bytes", Arrays.copyOf(plain, n));
        }
        for (int n = 0; n <= gz.length; n++) {
            check("the gzip file cut to " + n + " bytes", Arrays.copyOf(gz, n));
        }
        run.assertAllEndedWell();
    }

    @Test
    void flippedGzipBytesAndRandomFiles() throws IOException {
        SplittableRandom r = Fuzz.random("jsonl bytes");
        byte[] gz = gzip(jsonl(RECORDS));
        for (int i = 0; i < Fuzz.tries(200); i++) {
            byte[] b = gz.clone();
            int at = r.nextInt(b.length);
            b[at] = (byte) r.nextInt(256);
            check("gzip byte " + at + " set to " + (b[at] & 0xff), b);
        }
        for (int i = 0; i < Fuzz.tries(200); i++) {
            byte[] b = JsonMutations.randomBytes(r, 300);
            if (b.length >= 2 && r.nextBoolean()) {
                b[0] = 0x1f;
                b[1] = (byte) 0x8b;
            }
            check("random file " + i + " of " + b.length + " bytes", b);
        }
        run.assertAllEndedWell();
    }
}
