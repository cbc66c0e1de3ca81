package elattn.cli;

import picocli.CommandLine.Command;

/** {@code elattn summarize}: an encoder-decoder model (default: the embedded Debian BART) writes a summary. */
@Command(name = "summarize", description = "Summarize texts with an encoder-decoder model (default: the embedded"
        + " BART, which writes a Debian package's one-line synopsis from its description).")
final class SummarizeCommand extends GenerationCommand {
    @Override
    String defaultModel() {
        return EmbeddedModels.BART;
    }

    @Override
    void checkModel(ModelSession session) {
        session.requireEncoderDecoder(true, "summarize", "generate");
    }
}
