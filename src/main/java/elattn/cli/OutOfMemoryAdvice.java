package elattn.cli;

/**
 * The one line an {@link OutOfMemoryError} becomes: which of the JVM's memories ran out and which
 * setting gives more. The JVM has two limits: the Java heap ({@code -Xmx}: texts, token ids,
 * outputs) and direct memory ({@code -XX:MaxDirectMemorySize}, by default as large as the heap:
 * weights converted on loading and the host side of the device arrays). Device memory running out
 * is a different error ({@code DeviceOutOfMemoryException}), which a batch job answers by
 * splitting its batch.
 */
final class OutOfMemoryAdvice {
    private OutOfMemoryAdvice() {
    }

    static String of(OutOfMemoryError e) {
        String message = e.getMessage() == null ? "" : e.getMessage();
        long heapMiB = Runtime.getRuntime().maxMemory() >> 20;
        if (message.contains("direct buffer memory")) {
            return "out of the JVM's direct memory (" + message + "): the weights and the host side of the device"
                    + " arrays live there, within -XX:MaxDirectMemorySize (by default the heap's -Xmx, now " + heapMiB
                    + " MiB); raise it, e.g. JAVA_OPTS=-XX:MaxDirectMemorySize=8g, or use --dtype fp16 or a smaller"
                    + " --batch-size";
        }
        if (message.contains("Java heap space") || message.contains("GC overhead")) {
            return "out of Java heap memory (-Xmx is " + heapMiB + " MiB): raise it, e.g. JAVA_OPTS=-Xmx8g, or use a"
                    + " smaller --batch-size or fewer records";
        }
        if (message.contains("array size exceeds")) {
            return "out of memory: an array larger than the JVM allows (" + message + "); use a smaller --batch-size"
                    + " or shorter inputs";
        }
        return "out of memory (" + message + "): give the JVM more through JAVA_OPTS (-Xmx for the heap,"
                + " -XX:MaxDirectMemorySize for weights and arrays) or use a smaller --batch-size";
    }
}
