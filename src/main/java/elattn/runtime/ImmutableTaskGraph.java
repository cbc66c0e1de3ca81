package elattn.runtime;

import elattn.kernel.NativeArray;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * A frozen {@link TaskGraph}, made by {@link TaskGraph#snapshot()}: what an {@link ExecutionPlan}
 * runs. Freezing lets one plan hold on to its graphs while the builder is reused.
 */
public final class ImmutableTaskGraph {
    /** One declared copy of an array. */
    record Transfer(DataTransferMode mode, NativeArray array) {
    }

    private final String name;
    private final List<Transfer> toDevice;
    private final List<TaskSpec> tasks;
    private final List<Transfer> toHost;
    private final Set<NativeArray> persisted;
    private final Set<NativeArray> consumed;
    /** {@link #arrays()}, made once: the graph does not change. */
    private final List<NativeArray> arrays;

    ImmutableTaskGraph(String name, List<Transfer> toDevice, List<TaskSpec> tasks, List<Transfer> toHost,
            Set<NativeArray> persisted, Set<NativeArray> consumed) {
        this.name = name;
        this.toDevice = List.copyOf(toDevice);
        this.tasks = List.copyOf(tasks);
        this.toHost = List.copyOf(toHost);
        this.persisted = identitySet(persisted);
        this.consumed = identitySet(consumed);
        this.arrays = collectArrays();
    }

    private static Set<NativeArray> identitySet(Collection<NativeArray> arrays) {
        Set<NativeArray> set = Collections.newSetFromMap(new IdentityHashMap<>());
        set.addAll(arrays);
        return Collections.unmodifiableSet(set);
    }

    public String getName() {
        return name;
    }

    /** The tasks' names, in order. */
    public List<String> taskNames() {
        return tasks.stream().map(TaskSpec::name).toList();
    }

    List<Transfer> toDevice() {
        return toDevice;
    }

    List<TaskSpec> tasks() {
        return tasks;
    }

    List<Transfer> toHost() {
        return toHost;
    }

    Set<NativeArray> persisted() {
        return persisted;
    }

    Set<NativeArray> consumed() {
        return consumed;
    }

    /** Every array the graph touches (transfers and task arguments), each once, in first-use order. */
    List<NativeArray> arrays() {
        return arrays;
    }

    private List<NativeArray> collectArrays() {
        Set<NativeArray> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        List<NativeArray> arrays = new ArrayList<>();
        toDevice.forEach(t -> addOnce(t.array(), seen, arrays));
        tasks.forEach(t -> t.arrays().forEach(a -> addOnce(a, seen, arrays)));
        toHost.forEach(t -> addOnce(t.array(), seen, arrays));
        return List.copyOf(arrays);
    }

    private static void addOnce(NativeArray a, Set<NativeArray> seen, List<NativeArray> arrays) {
        if (seen.add(a)) {
            arrays.add(a);
        }
    }

    @Override
    public String toString() {
        return "ImmutableTaskGraph(" + name + ", tasks " + taskNames() + ")";
    }
}
