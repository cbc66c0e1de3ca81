package elattn.text;

import elattn.io.OneLine;
import java.nio.file.Path;

/**
 * A tokenizer that cannot be loaded: the message names the folder or file and what is wrong with
 * it, on one line (tokens quoted from the files have their line breaks escaped).
 */
public class TokenizerException extends RuntimeException {
    public TokenizerException(Path file, String problem) {
        super(OneLine.message(file + ": " + problem));
    }

    public TokenizerException(Path file, String problem, Throwable cause) {
        super(OneLine.message(file + ": " + problem), cause);
    }
}
