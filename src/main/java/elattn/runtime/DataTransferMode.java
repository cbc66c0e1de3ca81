package elattn.runtime;

/**
 * When a {@link TaskGraph} moves an array between the host and the device. Device buffers live as
 * long as the {@link ExecutionPlan}, so data that does not change (weights, encoder states) is sent
 * once and stays, while data that changes every step (token ids) is sent at every execute.
 */
public enum DataTransferMode {
    /**
     * To the device: copied on the plan's first execute only, then it stays; later changes to the
     * host array are not sent. To the host: read back after the graph's first execute only.
     */
    FIRST_EXECUTION,
    /** Copied at every execute (to the device before the graph's tasks, to the host after them). */
    EVERY_EXECUTION,
    /**
     * To the host only: never read back automatically; the caller asks for it with
     * {@link ExecutionResult#transferToHost(elattn.kernel.NativeArray...)}.
     */
    UNDER_DEMAND
}
