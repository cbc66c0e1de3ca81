package elattn.cli;

import elattn.model.Precision;
import elattn.runtime.Device;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Which checkpoint a command runs, how its weights are stored, and how inputs are batched and cut. */
final class ModelOptions {
    /** Weight storage on the device. */
    enum DTypeOption { fp32, fp16 }

    @Option(names = "--model", paramLabel = "DIR",
            description = "A HF checkpoint folder (config.json, model.safetensors, tokenizer.json; "
                    + "generation_config.json optional). Default: the embedded model.")
    Path model;

    @Option(names = "--dtype", paramLabel = "fp32|fp16", defaultValue = "fp32",
            description = "Weight storage on the device (default: ${DEFAULT-VALUE}).")
    DTypeOption dtype;

    @Option(names = "--tensor-cores",
            description = "Run the big products on tensor cores: fp16 operands, fp32 sums (needs --dtype fp16 and a"
                    + " CUDA GPU of compute capability 8.0+; outputs within fp16 rounding of fp32 arithmetic's).")
    boolean tensorCores;

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    /** The --batch-size given, or 0 for the device's default ({@link #batchSize(Device)}). */
    int batchSize;

    @Option(names = "--no-check-weights",
            description = "Skip the check that every weight is finite (no NaN or infinity) when the model is loaded.")
    boolean noCheckWeights;

    @Option(names = "--truncate",
            description = "Cut inputs longer than the model's positions instead of failing (encoder-decoder: "
                    + "the first tokens and the final </s>; decoder-only: the last tokens, leaving room for "
                    + "--max-new-tokens).")
    boolean truncate;

    /** --batch-size's default on a GPU: a decode step of a small model is mostly fixed cost, so more rows are nearly free. */
    static final int GPU_BATCH_SIZE = 64;
    /** --batch-size's default on a CPU device (the JVM, a CPU OpenCL driver): rows cost their arithmetic there. */
    static final int CPU_BATCH_SIZE = 8;

    @Option(names = "--batch-size", paramLabel = "N",
            description = "Inputs generated together (default: " + GPU_BATCH_SIZE + " on a GPU, " + CPU_BATCH_SIZE
                    + " on the CPU); a batch that does not fit the device is split.")
    void batchSize(int n) {
        if (n < 1) {
            throw new ParameterException(command.commandLine(), "--batch-size must be at least 1, not " + n);
        }
        batchSize = n;
    }

    /** The batch size to run on {@code device}: --batch-size, else the device's default. */
    int batchSize(Device device) {
        return batchSize > 0 ? batchSize : device.isGpu() ? GPU_BATCH_SIZE : CPU_BATCH_SIZE;
    }

    /** The command's stderr, for notices. */
    PrintWriter err() {
        return command.commandLine().getErr();
    }

    /** How the weights are stored on the device: fp16 halves their memory; arithmetic stays fp32 unless --tensor-cores. */
    Precision<?> precision() {
        return dtype == DTypeOption.fp16 ? Precision.FP16 : Precision.FP32;
    }

    /** The folder to open: {@code --model}, else the embedded model {@code defaultName}. */
    Path folder(String defaultName) {
        return model != null ? model : EmbeddedModels.folder(defaultName, err());
    }
}
