package elattn.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import elattn.bench.Report.Phase;
import elattn.bench.Report.Run;
import elattn.bench.Report.Search;
import elattn.bench.Report.Status;
import elattn.generate.Batch;
import elattn.generate.GenerationConfig;
import elattn.generate.GenerationResult;
import elattn.generate.Generator;
import elattn.kernel.FloatArray;
import elattn.model.ModelWeights;
import elattn.model.Precision;
import elattn.model.device.AttentionMode;
import elattn.model.device.CacheBytes;
import elattn.model.device.DeviceModel;
import elattn.runtime.Device;
import elattn.runtime.DeviceOutOfMemoryException;
import elattn.runtime.Devices;
import elattn.runtime.ElattnRuntimeException;
import elattn.runtime.ExecutionPlan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The generation benchmark of issue 5: beam-search generation of model shapes with seeded random
 * weights ({@link Shape}, {@link RandomWeights}) on one device, in each attention mode, at several
 * batch sizes, plus a search for the largest batch that fits. Per run it reports samples/s,
 * tokens/s, wall time, peak device memory, the attention-state bytes, and how a decode step
 * splits between kernels (per task) and the host ({@link Report}).
 *
 * <pre>{@code
 * Report report = GenerationBenchmark.run(GenerationBenchmark.Settings.defaults().withDevice("cuda:0"));
 * Files.writeString(Path.of("generation.json"), report.toJson());
 * }</pre>
 *
 * <p>Timing: each run has its own plan, as each batch shape needs one. It is first warmed up by a
 * generation of the same batch with two new tokens (weights uploaded, buffers allocated, kernels
 * built, as the HF baseline warms up before timing), then the timed run is the wall time of
 * {@code Generator.generate} on that plan: encoder or prompt, every step, the beam search on the
 * host. Runs stop at their time limit: the speed is then projected from the steps done and marked so.
 * {@code main} runs it from the command line ({@code --help}).
 */
public final class GenerationBenchmark {
    private static final Logger LOG = LoggerFactory.getLogger(GenerationBenchmark.class);

    private GenerationBenchmark() {
    }

    /**
     * What to run. {@link #defaults()} is issue 5's configuration.
     *
     * @param device           device id ({@code cuda:0}, {@code opencl:1}, {@code jvm}), a backend name
     *                         ({@code cuda}, {@code opencl}: its first GPU, else its first device), or
     *                         null for {@link Devices#defaultDevice()}
     * @param shapes           the shapes, each with its batches
     * @param modes            attention modes, run in this order at each batch
     * @param seed             weights and inputs
     * @param initStd          standard deviation of the random weights
     * @param runLimit         time limit of one generation
     * @param searchLimit      time limit of one largest-batch search (per shape and mode)
     * @param totalLimit       after this, the remaining runs are skipped
     * @param searchCap        the largest batch a search considers
     * @param searchResolution a search stops when its gap is at most this fraction of the batch
     * @param keepTokens       keep every run's generated tokens in the report (tests)
     * @param precision        storage of the weight matrices ({@link Precision#FP32} or {@link Precision#FP16})
     * @param tensorCores      run the big products on tensor cores ({@link DeviceModel#tensorCores}; fp16 only)
     */
    public record Settings(String device, List<Shape> shapes, List<AttentionMode> modes, long seed, double initStd,
            Duration runLimit, Duration searchLimit, Duration totalLimit, int searchCap, double searchResolution,
            boolean keepTokens, Precision<?> precision, boolean tensorCores) {

        public Settings {
            shapes = List.copyOf(shapes);
            modes = List.copyOf(modes);
            Objects.requireNonNull(precision, "precision");
            if (tensorCores && precision != Precision.FP16) {
                throw new IllegalArgumentException("tensor cores multiply fp16 weights: use --dtype fp16");
            }
            Objects.requireNonNull(runLimit, "runLimit");
            Objects.requireNonNull(searchLimit, "searchLimit");
            Objects.requireNonNull(totalLimit, "totalLimit");
        }

        /**
         * BART-large at 32, 128, 256 and the largest batch; GPT-2 medium at 16 and 64; EL then MHA;
         * the default device; 10 minutes a run, 3 a search, no total limit.
         */
        public static Settings defaults() {
            return new Settings(null, List.of(Shape.bartLarge(), Shape.gpt2Medium()),
                    List.of(AttentionMode.EL, AttentionMode.MHA), 1234, 0.02, Duration.ofMinutes(10),
                    Duration.ofMinutes(3), Duration.ofDays(1), 1 << 16, 1.0 / 16, false, Precision.FP32, false);
        }

        public Settings withDevice(String id) {
            return new Settings(id, shapes, modes, seed, initStd, runLimit, searchLimit, totalLimit, searchCap,
                    searchResolution, keepTokens, precision, tensorCores);
        }

        public Settings withShapes(List<Shape> newShapes) {
            return new Settings(device, newShapes, modes, seed, initStd, runLimit, searchLimit, totalLimit, searchCap,
                    searchResolution, keepTokens, precision, tensorCores);
        }

        public Settings withModes(List<AttentionMode> newModes) {
            return new Settings(device, shapes, newModes, seed, initStd, runLimit, searchLimit, totalLimit, searchCap,
                    searchResolution, keepTokens, precision, tensorCores);
        }

        public Settings withLimits(Duration run, Duration search, Duration total) {
            return new Settings(device, shapes, modes, seed, initStd, run, search, total, searchCap, searchResolution,
                    keepTokens, precision, tensorCores);
        }

        public Settings withSearchCap(int cap) {
            return new Settings(device, shapes, modes, seed, initStd, runLimit, searchLimit, totalLimit, cap,
                    searchResolution, keepTokens, precision, tensorCores);
        }

        /** Weights stored in {@code newPrecision}, and the big products on tensor cores if {@code cores}. */
        public Settings withArithmetic(Precision<?> newPrecision, boolean cores) {
            return new Settings(device, shapes, modes, seed, initStd, runLimit, searchLimit, totalLimit, searchCap,
                    searchResolution, keepTokens, newPrecision, cores);
        }

        /** The label of the arithmetic in reports: fp32, fp16 (fp16 weights, fp32 math) or fp16-tc. */
        public String arithmetic() {
            return precision + (tensorCores ? "-tc" : "");
        }

        public Settings withKeepTokens(boolean keep) {
            return new Settings(device, shapes, modes, seed, initStd, runLimit, searchLimit, totalLimit, searchCap,
                    searchResolution, keep, precision, tensorCores);
        }

        /** The settings as JSON, for the report. */
        JsonObject toJson(Device d) {
            JsonObject o = new JsonObject();
            o.addProperty("device", d.id());
            JsonArray s = new JsonArray();
            for (Shape shape : shapes) {
                JsonObject j = new JsonObject();
                j.addProperty("name", shape.name());
                j.addProperty("family", shape.config().family().modelType());
                j.addProperty("d_model", shape.config().dModel());
                j.addProperty("encoder_layers", shape.config().encoderLayers());
                j.addProperty("decoder_layers", shape.config().decoderLayers());
                j.addProperty("heads", shape.config().decoderHeads());
                j.addProperty("ffn", shape.config().decoderFfn());
                j.addProperty("vocab", shape.config().vocabSize());
                j.addProperty("input_width", shape.inputWidth());
                j.addProperty("beams", shape.beams());
                j.addProperty("new_tokens", shape.newTokens());
                JsonArray b = new JsonArray();
                shape.batches().forEach(b::add);
                j.add("batches", b);
                j.addProperty("search_largest", shape.searchLargest());
                s.add(j);
            }
            o.add("shapes", s);
            JsonArray m = new JsonArray();
            modes.forEach(mode -> m.add(mode.name().toLowerCase(Locale.ROOT)));
            o.add("modes", m);
            o.addProperty("seed", seed);
            o.addProperty("init_std", initStd);
            o.addProperty("precision", precision.toString());
            o.addProperty("tensor_cores", tensorCores);
            o.addProperty("arithmetic", arithmetic());
            o.addProperty("run_limit_s", runLimit.toSeconds());
            o.addProperty("search_limit_s", searchLimit.toSeconds());
            o.addProperty("total_limit_s", totalLimit.toSeconds());
            o.addProperty("search_cap", searchCap);
            return o;
        }
    }

    /** Runs every shape, batch and mode of the settings, then the largest-batch searches, on one device. */
    public static Report run(Settings settings) {
        Device device = device(settings.device());
        long totalDeadline = deadline(settings.totalLimit());
        LOG.info("generation benchmark on {} ({}, {} MiB), {}", device.id(), device.name(),
                device.globalMemoryBytes() >> 20, settings.arithmetic());
        List<Run> runs = new ArrayList<>();
        List<Search> searches = new ArrayList<>();
        for (Shape shape : settings.shapes()) {
            long t = System.nanoTime();
            ModelWeights<?> weights = RandomWeights.of(shape.config(), settings.seed(), settings.initStd(),
                    settings.precision());
            LOG.info("{}: random weights in {} ms", shape.name(), (System.nanoTime() - t) / 1_000_000);
            Map<AttentionMode, Integer> largestRun = new LinkedHashMap<>();
            for (int batch : shape.batches()) {
                for (AttentionMode mode : settings.modes()) {
                    Run r = System.nanoTime() > totalDeadline
                            ? Run.notRun(shape.name(), mode, batch, shape.beams(), shape.newTokens(), Status.SKIPPED,
                                    "the benchmark's total time limit was reached")
                            : generate(shape, weights, device, mode, batch, shape.newTokens(), true, settings,
                                    Math.min(totalDeadline, deadline(settings.runLimit())));
                    LOG.info("{}", summary(r));
                    runs.add(r);
                    if (r.status() == Status.OK || r.status() == Status.TIMEOUT) {
                        largestRun.merge(mode, batch, Math::max);
                    }
                }
            }
            for (AttentionMode mode : settings.modes()) {
                if (shape.searchLargest()) {
                    Search s = searchLargest(shape, weights, device, mode, largestRun.getOrDefault(mode, 1), settings,
                            Math.min(totalDeadline, deadline(settings.searchLimit())));
                    LOG.info("{} {}: largest batch {} (complete {}, probes {}, {})", shape.name(), mode, s.largest(),
                            s.complete(), Arrays.toString(s.probes()), s.reason());
                    searches.add(s);
                }
            }
        }
        return new Report(device.id(), device.name(), device.globalMemoryBytes(), settings.toJson(device), runs,
                searches);
    }

    private static Search searchLargest(Shape shape, ModelWeights<?> weights, Device device,
            AttentionMode mode, int first, Settings settings, long deadline) {
        int cap = ArrayLimits.largestBatch(shape, mode, settings.searchCap());
        String capReason = cap < settings.searchCap()
                ? (cap + 1) + " sentences: " + ArrayLimits.check(shape, mode, cap + 1).orElseThrow()
                : "the search's cap of " + settings.searchCap();
        LargestBatch.Result r = LargestBatch.search(first, cap, capReason, settings.searchResolution(), batch -> {
            // Two new tokens: the first decode step allocates every buffer of the full-length generation.
            Run probe = generate(shape, weights, device, mode, batch, 2, false, settings, Long.MAX_VALUE);
            LOG.info("probe {}", summary(probe));
            return switch (probe.status()) {
                case OK -> LargestBatch.Probe.fit();
                case OUT_OF_MEMORY, TOO_LARGE -> LargestBatch.Probe.miss(probe.message());
                default -> throw new ElattnRuntimeException("largest-batch probe of " + shape.name() + " " + mode
                        + " at " + batch + " failed: " + probe.message());
            };
        }, () -> System.nanoTime() > deadline);
        return new Search(shape.name(), mode, r.largest(), r.smallestMiss(), r.reason(), r.complete(), r.probes());
    }

    /**
     * One generation of {@code tokens} new tokens per sentence, after a two-token warm-up on the same
     * plan if {@code warmUp}; never throws for device trouble, reports it.
     */
    static Run generate(Shape shape, ModelWeights<?> weights, Device device, AttentionMode mode, int batch,
            int tokens, boolean warmUp, Settings settings, long deadline) {
        var tooLarge = ArrayLimits.check(shape, mode, batch);
        if (tooLarge.isPresent()) {
            return Run.notRun(shape.name(), mode, batch, shape.beams(), tokens, Status.TOO_LARGE, tooLarge.get());
        }
        Batch input = shape.batch(batch, settings.seed());
        GenerationConfig generation = shape.generation(tokens);
        DeviceModel model = new DeviceModel(shape.config(), weights, device, mode, shape.maxSteps(), shape.beams())
                .retainDeviceMemory(warmUp).tensorCores(settings.tensorCores());
        ProfiledModel profiled = new ProfiledModel(model, deadline);
        Status status = Status.OK;
        String message = null;
        GenerationResult result = null;
        long start = System.nanoTime();
        long end;
        try {
            if (warmUp) {
                Generator.generate(model, input, shape.generation(2));
                model.close(); // keeps the plan (retainDeviceMemory): the timed run reuses it
                start = System.nanoTime();
            }
            result = ExecutionPlan.observe(profiled, () -> Generator.generate(profiled, input, generation));
        } catch (ProfiledModel.TimeLimitExceeded e) {
            status = Status.TIMEOUT;
            message = e.getMessage();
        } catch (DeviceOutOfMemoryException e) {
            status = Status.OUT_OF_MEMORY;
            message = e.getMessage();
        } catch (OutOfMemoryError e) {
            status = Status.OUT_OF_MEMORY;
            message = "host memory: " + e.getMessage() + " (the host mirrors every device array; raise"
                    + " -XX:MaxDirectMemorySize or use a machine with more memory)";
        } catch (RuntimeException e) {
            status = Status.FAILED;
            message = e.toString();
            LOG.warn("{} {} batch {} failed", shape.name(), mode, batch, e);
        } finally {
            end = System.nanoTime();
            model.release();
        }
        CacheBytes cache = status == Status.OK || status == Status.TIMEOUT ? model.cacheBytes() : new CacheBytes(0, 0);
        Phase prefill = profiled.prefill.toPhase(profiled.prefill.executes, profiled.prefillNanos);
        Phase decode = profiled.decode.toPhase(profiled.decodeSteps, profiled.decodeNanos());
        double builds = prefill.buildSeconds() + decode.buildSeconds();
        double seconds = switch (status) {
            case OK -> (end - start) / 1e9 - builds;
            case TIMEOUT -> profiled.decodeSteps == 0 ? Double.NaN
                    : prefill.wallSeconds() - prefill.buildSeconds()
                            + (decode.wallSeconds() - decode.buildSeconds()) / profiled.decodeSteps * (tokens - 1);
            default -> Double.NaN;
        };
        System.gc(); // the host mirrors of the released device arrays are freed by the collector
        return new Run(shape.name(), mode, batch, shape.beams(), tokens, status, message, seconds, builds,
                batch / seconds, (double) batch * tokens / seconds, profiled.peakAllocatedBytes, cache.cross(),
                cache.self(), prefill, decode, result == null ? 0 : checksum(result.generated()),
                settings.keepTokens() && result != null ? result.generated() : null);
    }

    /** FNV-1a over the tokens, row by row. */
    static long checksum(int[][] rows) {
        long h = 0xcbf29ce484222325L;
        for (int[] row : rows) {
            for (int t : row) {
                h = (h ^ t) * 0x100000001b3L;
            }
            h = (h ^ -1) * 0x100000001b3L;
        }
        return h;
    }

    private static String summary(Run r) {
        return String.format(Locale.ROOT, "%s %s batch %d: %s, %.2f samples/s, %.1f s, peak %.2f GiB, decode step"
                + " %.1f ms (kernels %.1f)%s", r.shape(), r.mode(), r.batch(), r.status(), r.samplesPerSecond(),
                r.seconds(), r.peakDeviceBytes() / (double) (1L << 30), r.decode().stepMillis(),
                r.decode().kernelMillis(), r.message() == null ? "" : " - " + r.message());
    }

    private static long deadline(Duration limit) {
        long nanos = limit.toNanos();
        long now = System.nanoTime();
        return nanos > Long.MAX_VALUE - now ? Long.MAX_VALUE : now + nanos;
    }

    /** A device id, a backend name (its first GPU, else its first device), or null for the default. */
    static Device device(String spec) {
        if (spec == null || spec.isBlank()) {
            return Devices.defaultDevice();
        }
        if (spec.contains(":") || spec.equals("jvm")) {
            return Devices.byId(spec);
        }
        List<Device> devices = Devices.ofBackend(spec);
        if (devices.isEmpty()) {
            throw new ElattnRuntimeException("no " + spec + " device: "
                    + Devices.unavailableReason(spec).orElse("no devices"));
        }
        return devices.stream().filter(Device::isGpu).findFirst().orElse(devices.getFirst());
    }

    private static final String USAGE = """
            Usage: GenerationBenchmark [options]
              --device ID            cuda:0, opencl:1, jvm, or a backend name (default: the best GPU)
              --shapes A,B           bart-large, gpt2-medium (default: both)
              --modes el,mha         attention modes (default: el,mha)
              --batches SHAPE=N,N    batches of one shape (repeatable)
              --new-tokens SHAPE=N   new tokens of one shape (repeatable)
              --search SHAPE=BOOL    whether to search the largest batch of one shape
              --run-limit-s S        time limit of one generation (default 600)
              --search-limit-s S     time limit of one largest-batch search (default 180)
              --total-limit-s S      skip what is left after this (default: none)
              --dtype fp32|fp16      storage of the weight matrices (default fp32)
              --tensor-cores BOOL    big products on tensor cores, fp16 operands (needs --dtype fp16)
              --json FILE            the report as JSON (default generation.json)
              --markdown FILE        the tables as markdown (also printed)
            """;

    /** Runs the benchmark from the command line and writes its report. */
    public static void main(String[] args) throws IOException {
        Settings s = Settings.defaults();
        Map<String, Shape> shapes = new LinkedHashMap<>();
        for (Shape shape : s.shapes()) {
            shapes.put(shape.name(), shape);
        }
        List<String> chosen = new ArrayList<>(shapes.keySet());
        Path json = Path.of("generation.json");
        Path markdown = null;
        Duration run = s.runLimit();
        Duration search = s.searchLimit();
        Duration total = s.totalLimit();
        Precision<?> precision = s.precision();
        boolean tensorCores = s.tensorCores();
        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            if (option.equals("--help")) {
                System.out.print(USAGE);
                return;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(option + " needs a value\n" + USAGE);
            }
            String value = args[++i];
            switch (option) {
                case "--device" -> s = s.withDevice(value);
                case "--shapes" -> chosen = List.of(value.split(","));
                case "--modes" -> s = s.withModes(Arrays.stream(value.split(","))
                        .map(m -> AttentionMode.valueOf(m.trim().toUpperCase(Locale.ROOT))).toList());
                case "--batches" -> shapes.compute(shapeOf(value, shapes), (k, sh) -> sh.withBatches(
                        Arrays.stream(valueOf(value).split(",")).map(String::trim).map(Integer::valueOf).toList()));
                case "--new-tokens" -> shapes.compute(shapeOf(value, shapes),
                        (k, sh) -> sh.withNewTokens(Integer.parseInt(valueOf(value))));
                case "--search" -> shapes.compute(shapeOf(value, shapes),
                        (k, sh) -> sh.withSearchLargest(Boolean.parseBoolean(valueOf(value))));
                case "--run-limit-s" -> run = Duration.ofSeconds(Long.parseLong(value));
                case "--search-limit-s" -> search = Duration.ofSeconds(Long.parseLong(value));
                case "--total-limit-s" -> total = Duration.ofSeconds(Long.parseLong(value));
                case "--json" -> json = Path.of(value);
                case "--markdown" -> markdown = Path.of(value);
                case "--dtype" -> precision = switch (value) {
                    case "fp32" -> Precision.FP32;
                    case "fp16" -> Precision.FP16;
                    default -> throw new IllegalArgumentException("--dtype is fp32 or fp16, not " + value);
                };
                case "--tensor-cores" -> tensorCores = Boolean.parseBoolean(value);
                default -> throw new IllegalArgumentException("unknown option " + option + "\n" + USAGE);
            }
        }
        List<Shape> selected = new ArrayList<>();
        for (String name : chosen) {
            Shape shape = shapes.get(name.trim());
            if (shape == null) {
                throw new IllegalArgumentException("unknown shape " + name + "; shapes are " + shapes.keySet());
            }
            selected.add(shape);
        }
        Report report = run(s.withShapes(selected).withLimits(run, search, total).withArithmetic(precision,
                tensorCores));
        Files.writeString(json, report.toJson());
        String md = report.toMarkdown();
        if (markdown != null) {
            Files.writeString(markdown, md);
        }
        System.out.println(md);
    }

    private static String shapeOf(String assignment, Map<String, Shape> shapes) {
        int eq = assignment.indexOf('=');
        String name = eq < 0 ? "" : assignment.substring(0, eq);
        if (!shapes.containsKey(name)) {
            throw new IllegalArgumentException("expected SHAPE=VALUE with SHAPE one of " + shapes.keySet() + ", not "
                    + assignment);
        }
        return name;
    }

    private static String valueOf(String assignment) {
        return assignment.substring(assignment.indexOf('=') + 1);
    }
}
