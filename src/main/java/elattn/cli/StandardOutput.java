package elattn.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;

/**
 * The process's stdout, remembering why a write failed: the {@code PrintWriter} a command writes
 * through keeps only that it failed, and a reader that went away ({@code | head -1}) ends a job
 * quietly while any other failure ({@code > /dev/full}) is an error to report.
 */
final class StandardOutput extends FilterOutputStream {
    private volatile IOException failure;

    StandardOutput() {
        super(new FileOutputStream(FileDescriptor.out));
    }

    @Override
    public void write(int b) throws IOException {
        try {
            out.write(b);
        } catch (IOException e) {
            throw failed(e);
        }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        try {
            out.write(b, off, len);
        } catch (IOException e) {
            throw failed(e);
        }
    }

    @Override
    public void flush() throws IOException {
        try {
            out.flush();
        } catch (IOException e) {
            throw failed(e);
        }
    }

    private IOException failed(IOException e) {
        if (failure == null) {
            failure = e;
        }
        return e;
    }

    /** Whether a write failed because the reading end of a pipe was closed (EPIPE, which Java reports by message only). */
    boolean readerGone() {
        return failure != null && "Broken pipe".equals(failure.getMessage());
    }

    /** Why the first failed write failed, or null. */
    String failure() {
        return failure != null ? failure.getMessage() : null;
    }
}
