package elattn.cli;

import picocli.CommandLine.Command;

/** {@code elattn generate}: a decoder-only model (default: the embedded Debian GPT-2) continues a prompt. */
@Command(name = "generate", description = "Continue prompts with a decoder-only model (default: the embedded GPT-2"
        + " trained on Debian package descriptions).")
final class GenerateCommand extends GenerationCommand {
    @Override
    String defaultModel() {
        return EmbeddedModels.GPT2;
    }

    @Override
    void checkModel(ModelSession session) {
        session.requireEncoderDecoder(false, "generate", "summarize");
    }
}
