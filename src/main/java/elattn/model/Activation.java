package elattn.model;

import elattn.io.OneLine;
import java.nio.file.Path;

/**
 * The feed-forward activation of a model, from config.json's {@code activation_function}. GELU
 * comes in two forms that differ by up to 1e-3: the exact one with erf (HF {@code gelu}) and the
 * tanh approximation (HF {@code gelu_new}, {@code gelu_pytorch_tanh}); kernels must use the one the
 * model was trained with.
 */
public enum Activation {
    /** {@code x/2 * (1 + erf(x/√2))}. */
    GELU,
    /** {@code x/2 * (1 + tanh(√(2/π) * (x + 0.044715 x³)))}. */
    GELU_TANH,
    /** {@code max(x, 0)}. */
    RELU,
    /** {@code x * sigmoid(x)} (HF {@code swish} and {@code silu}). */
    SILU;

    /** The HF names this project reads, for error messages. */
    static final String SUPPORTED = "gelu, gelu_new, gelu_pytorch_tanh, relu, swish, silu";

    /** The activation for HF's {@code activation_function} name. */
    static Activation fromHf(String name, Path config) {
        return switch (name) {
            case "gelu" -> GELU;
            case "gelu_new", "gelu_pytorch_tanh" -> GELU_TANH;
            case "relu" -> RELU;
            case "swish", "silu" -> SILU;
            default -> throw new CheckpointException(config, "activation_function \"" + OneLine.brief(name)
                    + "\" is not supported; supported are " + SUPPORTED);
        };
    }
}
