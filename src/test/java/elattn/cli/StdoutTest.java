package elattn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stdout that takes no more output stops the job: a write error is one line and exit code 1
 * (nothing is lost silently), and a reader that went away ({@code | head -1}) ends the job at
 * once, quietly, with exit code 141.
 */
class StdoutTest {
    private static final String BART = TinyCheckpoints.ORACLE.resolve("bart").toString();
    private static final int RECORDS = 200;

    @TempDir
    static Path tmp;
    static Path input;

    @BeforeAll
    static void inputs() throws IOException {
        input = tmp.resolve("in.jsonl");
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < RECORDS; i++) {
            b.append("{\"input_ids\": [0, ").append(10 + i).append(", 2]}\n");
        }
        Files.writeString(input, b);
    }

    private static final String[] JOB = {"summarize", "--model", BART, "--device", "jvm", "--batch-size", "1",
            "--max-new-tokens", "3", "--format", "text"};

    private static String[] job(String... more) {
        return GenerationCommandsTest.concat(JOB, more);
    }

    /** A writer that fails every write, as a full disk does, keeping what it was asked to write. */
    private static final class FullDisk extends Writer {
        final StringBuilder attempted = new StringBuilder();

        @Override
        public void write(char[] chars, int off, int len) throws IOException {
            attempted.append(chars, off, len);
            throw new IOException("No space left on device");
        }

        @Override
        public void flush() throws IOException {
            throw new IOException("No space left on device");
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aFailingStdoutStopsTheJobAtTheFirstRecord() {
        FullDisk stdout = new FullDisk();
        StringWriter err = new StringWriter();
        int code = Main.run(InputStream.nullInputStream(), new PrintWriter(stdout), new PrintWriter(err, true), false,
                job("--input", input.toString()));
        assertEquals(1, code, err.toString());
        assertEquals("elattn: cannot write to stdout; the output is incomplete", err.toString().strip());
        assertEquals(1, stdout.attempted.toString().lines().count(),
                "one record written (batch size 1), then no more generated: " + stdout.attempted);
    }

    @Test
    void anyCommandWhoseStdoutFailsExitsWithOne() {
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(new FullDisk()), new PrintWriter(err, true), "devices");
        assertEquals(1, code, err.toString());
        assertEquals("elattn: cannot write to stdout; the output is incomplete", err.toString().strip());
    }

    @Test
    void stdoutOnAFullDiskSaysSo() throws Exception {
        Path full = Path.of("/dev/full");
        assumeTrue(Files.isWritable(full), "needs /dev/full (Linux)");
        Path log = tmp.resolve("full.log");
        Process child = ChildJvm.elattn(job("--input", input.toString())).redirectOutput(full.toFile())
                .redirectError(log.toFile()).start();
        assertTrue(child.waitFor(120, TimeUnit.SECONDS), "the job ends");
        assertEquals(1, child.exitValue(), Files.readString(log));
        assertTrue(Files.readString(log).lines().anyMatch(
                l -> l.equals("elattn: cannot write to stdout: No space left on device; the output is incomplete")),
                Files.readString(log));
    }

    @Test
    void aClosedPipeStopsTheJobQuietly() throws Exception {
        Path log = tmp.resolve("pipe.log");
        Process child = ChildJvm.elattn(job("--input", input.toString())).redirectError(log.toFile()).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            assertTrue(out.readLine() != null, "the first record");
        }
        assertTrue(child.waitFor(120, TimeUnit.SECONDS), "the job ends");
        String err = Files.readString(log);
        assertEquals(141, child.exitValue(), err);
        assertFalse(err.contains(RECORDS + "/" + RECORDS + " records"), "stopped before the last record: " + err);
        assertFalse(err.contains("elattn:") || err.contains("Exception"), "quietly: " + err);
    }
}
