package elattn.runtime;

import elattn.compiler.IndexChecks;
import java.util.ArrayList;
import java.util.List;

/**
 * What a device session needs to turn its fault record ({@link IndexChecks}) into a
 * {@link KernelFaultException}: the launches of checked kernels enqueued since it last read the
 * record, numbered in order. Each launch passes its number to the kernel after the record; the first
 * index out of range writes it into the record, so after a wait the session knows which launch,
 * kernel and source (which names the arrays) it was.
 */
public final class CheckedLaunches {
    private record Entry(String kernel, String source, DeviceSession.Launch launch) {
    }

    private final List<Entry> launches = new ArrayList<>();

    /** The number the next checked launch passes to its kernel. */
    public int next() {
        return launches.size();
    }

    /**
     * Records the launch numbered {@link #next()}: its kernel ({@code Class.method}) and the source
     * it was built from.
     */
    public void add(String kernel, String source, DeviceSession.Launch launch) {
        launches.add(new Entry(kernel, source, launch));
    }

    /** Whether no checked launch ran since the record was last read (then it need not be read). */
    public boolean isEmpty() {
        return launches.isEmpty();
    }

    /**
     * Forgets the launches, and throws the fault that {@code record} (the fault record as read back
     * after they finished) holds, if any; the session must then zero the record on the device first.
     */
    public void check(int[] record) {
        List<Entry> finished = List.copyOf(launches);
        launches.clear();
        if (record[IndexChecks.FLAG] == 0) {
            return;
        }
        int number = record[IndexChecks.LAUNCH];
        if (number < 0 || number >= finished.size()) {
            throw new ElattnRuntimeException("a checked kernel recorded an index out of range for launch " + number
                    + ", but only " + finished.size() + " checked launches ran: the fault record was overwritten");
        }
        Entry e = finished.get(number);
        IndexChecks.ArrayNames arrays = IndexChecks.arrays(e.source());
        throw new KernelFaultException(e.kernel(), arrays.name(record[IndexChecks.ARRAY]), record[IndexChecks.INDEX],
                record[IndexChecks.LENGTH], arrays.file(), record[IndexChecks.LINE], e.launch());
    }
}
