package elattn.text;

import java.nio.file.Path;

/** A tokenizer that cannot be loaded: the message names the folder or file and what is wrong with it. */
public class TokenizerException extends RuntimeException {
    public TokenizerException(Path file, String problem) {
        super(file + ": " + problem);
    }

    public TokenizerException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }
}
