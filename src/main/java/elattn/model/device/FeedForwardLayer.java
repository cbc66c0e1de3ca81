package elattn.model.device;

import elattn.kernel.FloatArray;
import elattn.kernel.NativeArray;
import elattn.model.Activation;
import elattn.model.ModelConfig;
import elattn.model.ModelWeights;
import elattn.runtime.TaskFunctions;
import elattn.runtime.TaskGraph;
import elattn.tasks.Activations;
import elattn.tasks.Gemm;
import elattn.tasks.Residual;

/**
 * The tasks of a feed-forward sublayer:
 * <pre>
 *   input ─► Linear fc1 (d → ffn) ─► activation (adding fc1's parts if split) ─► Linear fc2 (ffn → d) ─► y
 * </pre>
 */
final class FeedForwardLayer {
    private FeedForwardLayer() {
    }

    /** Adds the sublayer's tasks; returns y, possibly in parts (fc2's sum is left to the residual norm). */
    static <A extends NativeArray> DeviceWeights.Product add(TaskGraph g, String name, LayerIo io, FloatArray input,
            DeviceWeights<A> weights, ModelWeights.Layer<A> layer, Activation activation) {
        DeviceWeights.Product fc1 = weights.linearInParts(g, name + "_fc1", input, layer.fc1(), io.hidden(), io.rows());
        g.task(name + "_act", kernel(activation), fc1.values(), fc1.splits(), io.hidden(), io.rowsTimesFfn());
        return weights.linearInParts(g, name + "_fc2", io.hidden(), layer.fc2(), io.y(), io.rows());
    }

    /**
     * The rest of a pre-norm (GPT-2) block once its attention output {@code attended} is on the device
     * (in {@code y} or in parts), the same in the decode step and the prompt's one pass:
     * {@code x += attended; x += MLP(LN_2(x))}, then {@code normed =
     * next(x)} where {@code next} is the next layer's LN_1 (or the stack's final norm): each residual
     * add is one kernel with the layer norm after it ({@link KernelLaunches#residualLayerNorm}); the
     * last block of a stack without a norm after it (the prompt pass) ends with a plain add.
     */
    static <A extends NativeArray> void addPreNormTail(TaskGraph g, String p, LayerIo io, DeviceWeights<A> weights,
            ModelWeights.Layer<A> layer, ModelConfig config, DeviceWeights.Product attended,
            ModelWeights.LayerNorm<A> next) {
        int d = config.dModel();
        float eps = (float) config.layerNormEps();
        weights.launches().residualLayerNorm(g, p + "_selfAddLn2", io.x(), attended, io.normed(),
                weights.vector(layer.ffnNorm().weight()), weights.vector(layer.ffnNorm().bias()), io.rows(), d, eps);
        DeviceWeights.Product ffn = add(g, p + "_ffn", io, io.normed(), weights, layer, config.activation());
        if (next == null) {
            if (ffn.splits() > 1) {
                g.task(p + "_ffnSum", Gemm::sumSplits, ffn.values(), io.y(), ffn.splits(), io.rows(), d);
            }
            g.task(p + "_ffnAdd", Residual::add, io.x(), io.y(), io.rowsTimesD());
        } else {
            weights.launches().residualLayerNorm(g, p + "_ffnAddNorm", io.x(), ffn, io.normed(),
                    weights.vector(next.weight()), weights.vector(next.bias()), io.rows(), d, eps);
        }
    }

    /** The activation as a kernel, chosen once from the configuration (no per-element branch on the device). */
    private static TaskFunctions.Task4<FloatArray, Integer, FloatArray, Integer> kernel(Activation activation) {
        return switch (activation) {
            case GELU -> Activations::gelu;
            case GELU_TANH -> Activations::geluTanh;
            case RELU -> Activations::relu;
            case SILU -> Activations::silu;
        };
    }
}
