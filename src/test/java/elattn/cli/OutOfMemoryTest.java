package elattn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JVM running out of memory is one line that says which memory and which setting raises it,
 * exit 1, no stack trace: a real direct-memory shortage in a child JVM (an fp16 checkpoint widened
 * to fp32 on loading, past {@code -XX:MaxDirectMemorySize}), and the advice for each kind of
 * {@link OutOfMemoryError} message the JVM writes.
 */
class OutOfMemoryTest {
    @TempDir
    Path tmp;

    @Test
    void aModelLargerThanTheDirectMemoryLimitSaysWhatToRaise() throws Exception {
        Path input = tmp.resolve("ids.jsonl");
        Files.writeString(input, "{\"input_ids\": [0, 31, 41, 59, 2]}\n");
        Path log = tmp.resolve("child.log");
        Process child = ChildJvm.elattn(List.of("-XX:MaxDirectMemorySize=256k"), "summarize", "--model",
                "src/test/resources/oracle/bart-fp16", "--device", "jvm", "--input", input.toString(),
                "--max-new-tokens", "3").redirectOutput(tmp.resolve("out.txt").toFile()).redirectError(log.toFile())
                .start();
        assertEquals(1, child.waitFor(), Files.readString(log));
        String err = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.startsWith("elattn: out of the JVM's direct memory (Cannot reserve "), err);
        assertTrue(err.contains("limit: 262144"), err);
        assertTrue(err.strip().endsWith("raise it, e.g. JAVA_OPTS=-XX:MaxDirectMemorySize=8g, or use --dtype fp16 or a"
                + " smaller --batch-size"), err);
        assertFalse(err.contains("\tat ") || err.contains("Exception in thread"), err);
    }

    @Test
    void eachKindOfShortageNamesItsSetting() {
        assertTrue(OutOfMemoryAdvice.of(new OutOfMemoryError("Java heap space"))
                .matches("out of Java heap memory \\(-Xmx is \\d+ MiB\\): raise it, e\\.g\\. JAVA_OPTS=-Xmx8g, or use a"
                        + " smaller --batch-size or fewer records"));
        assertTrue(OutOfMemoryAdvice.of(new OutOfMemoryError("GC overhead limit exceeded")).contains("JAVA_OPTS=-Xmx8g"));
        assertTrue(OutOfMemoryAdvice.of(new OutOfMemoryError("Requested array size exceeds VM limit"))
                .startsWith("out of memory: an array larger than the JVM allows"));
        assertTrue(OutOfMemoryAdvice.of(new OutOfMemoryError("Metaspace")).contains("-XX:MaxDirectMemorySize"));
        assertTrue(OutOfMemoryAdvice.of(new OutOfMemoryError()).startsWith("out of memory ("));
    }
}
