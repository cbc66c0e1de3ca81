package elattn.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonPrimitive;
import elattn.model.device.AttentionMode;
import elattn.runtime.Device;
import elattn.runtime.DeviceSession;
import elattn.runtime.Devices;
import elattn.testing.LimitedDevice;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * A batch job on a device that runs out of memory halves its batch and goes on, saying so once on
 * stderr (a second pass of the same session starts at the smaller batch), and writes the same
 * outputs as a run that never ran out; a record that does not fit even
 * alone fails the job with its name. The device is the JVM's with an allocation limit
 * ({@link LimitedDevice}) set between what a batch of 2 and a batch of 4 need, measured first.
 */
class BatchSplitTest {
    @TempDir
    static Path tmp;
    static Path bart;

    @BeforeAll
    static void model() throws IOException {
        bart = TinyCheckpoints.bart(tmp.resolve("bart"));
    }

    /** The options a generation command mixes in, parsed as picocli would. */
    @Command(name = "test")
    static final class Options {
        @Mixin
        ModelOptions model;

        @Mixin
        GenerationOptions generation;
    }

    private static List<InputRecord> records() {
        return IntStream.rangeClosed(1, 5).mapToObj(i -> new InputRecord(new JsonPrimitive("r" + i),
                "input text number " + i + " " + "word ".repeat(i), null, null, null, "in.jsonl line " + i)).toList();
    }

    /**
     * Runs the records in batches of {@code batchSize} on {@code device}, {@code passes} times in one
     * session (as bench runs a warm-up and a timed pass); returns the output ids of each record of the last.
     */
    private static List<int[][]> run(LimitedDevice device, int batchSize, PrintWriter err, int passes) {
        Options o = new Options();
        new CommandLine(o).setErr(err).parseArgs("--max-new-tokens", "4");
        List<int[][]> out = new ArrayList<>();
        try (ModelSession session = ModelSession.open(bart, device, AttentionMode.EL, o.model, o.generation, false)) {
            for (int pass = 0; pass < passes; pass++) {
                out.clear();
                session.generate(records(), batchSize, outputs -> outputs.forEach(x -> out.add(x.outputIds())));
            }
        }
        return out;
    }

    private static List<int[][]> run(LimitedDevice device, int batchSize, PrintWriter err) {
        return run(device, batchSize, err, 1);
    }

    @Test
    void outOfDeviceMemoryHalvesTheBatchAndGoesOn() {
        LimitedDevice device = new LimitedDevice(Devices.byId("jvm"), Long.MAX_VALUE);
        PrintWriter quiet = new PrintWriter(new StringWriter());
        List<int[][]> reference = run(device, 2, quiet);
        long pairs = device.peakBytes();
        device.resetPeak();
        run(device, 4, quiet);
        long fours = device.peakBytes();
        assertTrue(fours > pairs, "a batch of 4 needs more device memory than one of 2: " + fours + " vs " + pairs);

        device.limit((pairs + fours) / 2);
        StringWriter notices = new StringWriter();
        List<int[][]> split = run(device, 4, new PrintWriter(notices, true), 2);
        assertEquals(5, split.size());
        for (int i = 0; i < 5; i++) {
            assertArrayEquals(reference.get(i), split.get(i), "record " + (i + 1));
        }
        // Once: the second pass of the same session starts at the batch that fits.
        assertEquals("elattn: a batch of 4 records does not fit on jvm (out of memory); going on with batches of 2"
                + " (pass --batch-size 2 to start there)", notices.toString().strip());
    }

    @Test
    void theDefaultBatchSizeFollowsTheDevice() {
        Options o = new Options();
        new CommandLine(o).parseArgs();
        Device jvm = Devices.byId("jvm");
        Device gpu = new Device() {
            public String id() {
                return "gpu:0";
            }

            public String name() {
                return "a GPU";
            }

            public String backendName() {
                return "test";
            }

            public long globalMemoryBytes() {
                return 1L << 34;
            }

            public int computeUnits() {
                return 100;
            }

            public boolean isGpu() {
                return true;
            }

            public DeviceSession open() {
                throw new UnsupportedOperationException("the default batch size reads only isGpu()");
            }
        };
        assertEquals(ModelOptions.CPU_BATCH_SIZE, o.model.batchSize(jvm));
        assertEquals(ModelOptions.GPU_BATCH_SIZE, o.model.batchSize(gpu));
        new CommandLine(o).parseArgs("--batch-size", "5");
        assertEquals(5, o.model.batchSize(gpu));
    }

    @Test
    void recordsAreBatchedByLengthAndComeBackInInputOrder() {
        List<InputRecord> shuffled = new ArrayList<>();
        for (int i : new int[]{5, 1, 4, 2, 3}) {
            shuffled.add(records().get(i - 1));
        }
        Options o = new Options();
        new CommandLine(o).parseArgs("--max-new-tokens", "4");
        Path folder = bart;
        try (ModelSession session = ModelSession.open(folder, Devices.byId("jvm"), AttentionMode.EL, o.model,
                o.generation, false)) {
            List<ModelSession.Output> alone = new ArrayList<>();
            session.generate(shuffled, 1, alone::addAll);
            List<ModelSession.Output> sorted = new ArrayList<>();
            List<Integer> handedOver = new ArrayList<>();
            List<Integer> batches = new ArrayList<>();
            List<Integer> widths = new ArrayList<>();
            session.generate(shuffled, session.encodeAll(shuffled), 2, outputs -> {
                handedOver.add(outputs.size());
                sorted.addAll(outputs);
            }, (records, width) -> {
                batches.add(records);
                widths.add(width);
            });
            assertEquals(shuffled, sorted.stream().map(ModelSession.Output::input).toList(), "input order");
            for (int i = 0; i < shuffled.size(); i++) {
                assertArrayEquals(alone.get(i).outputIds(), sorted.get(i).outputIds(), "record " + shuffled.get(i).id());
            }
            // By length the batches are {r1, r2}, {r3, r4}, {r5}: r5 (first in input order) comes last, so
            // everything is handed over at once after the third batch.
            assertEquals(List.of(5), handedOver);
            // ... while each batch is reported as it is generated, the shortest first.
            assertEquals(List.of(2, 2, 1), batches);
            assertEquals(widths.stream().sorted().toList(), widths, "widths " + widths);

            // Widest first: {r5, r4}, {r3, r2}, {r1}; the same outputs, handed over in input order.
            List<ModelSession.Output> widestFirst = new ArrayList<>();
            List<Integer> widestWidths = new ArrayList<>();
            session.widestFirst(true).generate(shuffled, session.encodeAll(shuffled), 2, widestFirst::addAll,
                    (records, width) -> widestWidths.add(width));
            assertEquals(shuffled, widestFirst.stream().map(ModelSession.Output::input).toList(), "input order");
            for (int i = 0; i < shuffled.size(); i++) {
                assertArrayEquals(alone.get(i).outputIds(), widestFirst.get(i).outputIds(), "record " + shuffled.get(i).id());
            }
            assertEquals(widestWidths.stream().sorted(Comparator.reverseOrder()).toList(), widestWidths,
                    "widths " + widestWidths);
        }
    }

    @Test
    void aRecordThatDoesNotFitAloneIsNamed() {
        LimitedDevice device = new LimitedDevice(Devices.byId("jvm"), Long.MAX_VALUE);
        PrintWriter quiet = new PrintWriter(new StringWriter());
        run(device, 1, quiet);
        device.limit(device.peakBytes() - 1);
        StringWriter notices = new StringWriter();
        CliException e = assertThrows(CliException.class, () -> run(device, 1, new PrintWriter(notices, true)));
        // The records of the widest plan (source widths rounded up: r3 to r5) need the most; r1 and r2 fit.
        assertTrue(e.getMessage().matches("in\\.jsonl line ([345]) \\(id \"r\\1\"\\): does not fit on jvm even alone \\(.*"),
                e.getMessage());
        assertTrue(e.getMessage().contains("out of memory on jvm"), e.getMessage());
        assertTrue(e.getMessage().endsWith("use --dtype fp16, fewer --num-beams, a lower --max-new-tokens, a shorter"
                + " input or a device with more memory"), e.getMessage());
        assertEquals("", notices.toString(), "nothing to split");
    }
}
