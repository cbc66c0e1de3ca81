package elattn.model.device;

import elattn.kernel.FloatArray;
import elattn.model.Activation;
import elattn.model.ModelWeights;
import elattn.runtime.TaskFunctions;
import elattn.runtime.TaskGraph;
import elattn.tasks.Activations;
import elattn.tasks.Linear;

/**
 * The tasks of a feed-forward sublayer:
 * <pre>
 *   input ─► Linear fc1 (d → ffn) ─► activation in place ─► Linear fc2 (ffn → d) ─► y
 * </pre>
 */
final class FeedForwardLayer {
    private FeedForwardLayer() {
    }

    static void add(TaskGraph g, String name, LayerIo io, FloatArray input, ModelWeights.Layer<FloatArray> layer,
            Activation activation) {
        int d = layer.fc1().inFeatures();
        int ffn = layer.fc1().outFeatures();
        g.task(name + "_fc1", Linear::forward, input, layer.fc1().weight(), layer.fc1().bias(), io.hidden(), io.rows(),
                d, ffn);
        g.task(name + "_act", kernel(activation), io.hidden(), io.rowsTimesFfn());
        g.task(name + "_fc2", Linear::forward, io.hidden(), layer.fc2().weight(), layer.fc2().bias(), io.y(), io.rows(),
                ffn, d);
    }

    /** The activation as a kernel, chosen once from the configuration (no per-element branch on the device). */
    private static TaskFunctions.Task2<FloatArray, Integer> kernel(Activation activation) {
        return switch (activation) {
            case GELU -> Activations::gelu;
            case GELU_TANH -> Activations::geluTanh;
            case RELU -> Activations::relu;
            case SILU -> Activations::silu;
        };
    }
}
