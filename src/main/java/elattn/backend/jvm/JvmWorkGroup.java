package elattn.backend.jvm;

import elattn.kernel.KernelContext;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Phaser;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One work-group of a {@code KernelContext} kernel running as Java: its work items run
 * concurrently and meet at a real barrier (a {@link Phaser}, which also makes the local arrays
 * written before it visible after it). A work item that finishes leaves the barrier's party; one
 * that fails stops the whole group, so the others do not wait forever.
 */
final class JvmWorkGroup implements KernelContext.WorkGroup {
    /** Thrown in work items released from a barrier because another item of the group failed. */
    static final class Aborted extends RuntimeException {
        Aborted() {
            super("work-group aborted because another work item failed", null, false, false);
        }
    }

    private final Phaser phaser;
    private final Map<Integer, Object> localArrays = new ConcurrentHashMap<>();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    JvmWorkGroup(int items) {
        this.phaser = new Phaser(items);
    }

    @Override
    public void barrier() {
        if (phaser.arriveAndAwaitAdvance() < 0) {
            throw new Aborted();
        }
    }

    @Override
    public float[] floatArray(int slot, int size) {
        if (localArrays.computeIfAbsent(slot, s -> new float[size]) instanceof float[] a && a.length == size) {
            return a;
        }
        throw mismatch(slot, "float", size);
    }

    @Override
    public int[] intArray(int slot, int size) {
        if (localArrays.computeIfAbsent(slot, s -> new int[size]) instanceof int[] a && a.length == size) {
            return a;
        }
        throw mismatch(slot, "int", size);
    }

    private static IllegalStateException mismatch(int slot, String type, int size) {
        return new IllegalStateException("local array #" + slot + " (" + type + "[" + size + "]) was allocated with"
                + " another type or size by another work item of the group; every work item must allocate the"
                + " same local arrays in the same order");
    }

    /** A work item returned normally: it no longer takes part in barriers. */
    void finished() {
        phaser.arriveAndDeregister();
    }

    /** A work item failed: records the first failure and releases every item waiting at a barrier. */
    void failed(Throwable t) {
        failure.compareAndSet(null, t);
        phaser.forceTermination();
    }

    /** The first failure of a work item, or null. */
    Throwable failure() {
        return failure.get();
    }
}
