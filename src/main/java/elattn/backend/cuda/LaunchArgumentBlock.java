package elattn.backend.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The native memory a launch's arguments are written into for {@code cuLaunchKernel}: one 8-byte
 * slot per argument value and the {@code void*[]} pointing at them. One block per session, reused
 * by every launch (the driver has copied the arguments when {@code cuLaunchKernel} returns), so a
 * launch allocates nothing: a decode step launches hundreds of kernels, and a native allocation and
 * free per argument was a measurable part of its host time.
 */
final class LaunchArgumentBlock {
    private final Arena arena = Arena.ofAuto();
    private MemorySegment values = MemorySegment.NULL;
    private MemorySegment pointers = MemorySegment.NULL;
    private int capacity;
    private int next;

    /** Starts a launch's arguments: room for {@code slots} values, the previous launch's forgotten. */
    void reserve(int slots) {
        if (slots > capacity) {
            capacity = Math.max(slots, 2 * capacity);
            values = arena.allocate(JAVA_LONG, capacity);
            pointers = arena.allocate(ADDRESS, capacity);
            for (int i = 0; i < capacity; i++) {
                pointers.setAtIndex(ADDRESS, i, values.asSlice(i * JAVA_LONG.byteSize()));
            }
        }
        next = 0;
    }

    void putInt(int v) {
        values.set(JAVA_INT, slot(), v);
    }

    void putLong(long v) {
        values.set(JAVA_LONG, slot(), v);
    }

    void putFloat(float v) {
        values.set(JAVA_FLOAT, slot(), v);
    }

    /** The values put since {@link #reserve}, 8 bytes each (to tell whether a recorded launch's arguments changed). */
    MemorySegment values() {
        return values.asSlice(0, next * JAVA_LONG.byteSize());
    }

    /** The {@code void*[]} of the values put since {@link #reserve}. */
    MemorySegment pointers() {
        return pointers;
    }

    private long slot() {
        if (next == capacity) {
            throw new IllegalStateException("more launch arguments than the " + capacity + " reserved");
        }
        return next++ * JAVA_LONG.byteSize();
    }
}
