package elattn.runtime;

import elattn.kernel.NativeArray;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A named sequence of tasks over device-resident arrays, with the copies between host and device
 * that surround them: the unit a step of a model is built from. It is a mutable builder; call
 * {@link #snapshot()} to freeze it and hand the result to an {@link ExecutionPlan}, which owns the
 * device buffers.
 *
 * <pre>{@code
 * ImmutableTaskGraph g = new TaskGraph("decode")
 *         .transferToDevice(DataTransferMode.FIRST_EXECUTION, weights)
 *         .transferToDevice(DataTransferMode.EVERY_EXECUTION, tokens)
 *         .task("embed", Embedding::lookup, weights, tokens, hidden, position)   // position: an IntParam
 *         .transferToHost(DataTransferMode.EVERY_EXECUTION, hidden)
 *         .snapshot();
 * }</pre>
 *
 * <p>Kernels are static method references; their arguments are arrays, boxed scalars
 * ({@code Integer}, {@code Long}, {@code Float}), {@link IntParam}/{@link LongParam}/
 * {@link FloatParam} for values that change between executes, and a placeholder
 * {@code new KernelContext()} as first argument of work-group kernels. Arguments are checked
 * against the kernel's parameters here.
 */
public final class TaskGraph {
    private final String name;
    private final List<ImmutableTaskGraph.Transfer> toDevice = new ArrayList<>();
    private final List<TaskSpec> tasks = new ArrayList<>();
    private final List<ImmutableTaskGraph.Transfer> toHost = new ArrayList<>();
    private final Set<NativeArray> persisted = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Set<NativeArray> consumed = Collections.newSetFromMap(new IdentityHashMap<>());

    public TaskGraph(String name) {
        Objects.requireNonNull(name, "name");
        if (name.isBlank() || name.contains(".")) {
            throw new IllegalArgumentException("a task graph name must be non-empty without '.', got '" + name + "'");
        }
        this.name = name;
    }

    public String getName() {
        return name;
    }

    /**
     * Copies arrays to the device before this graph's tasks run: once
     * ({@link DataTransferMode#FIRST_EXECUTION}) or at every execute
     * ({@link DataTransferMode#EVERY_EXECUTION}).
     */
    public TaskGraph transferToDevice(DataTransferMode mode, Object... arrays) {
        Objects.requireNonNull(mode, "mode");
        if (mode == DataTransferMode.UNDER_DEMAND) {
            throw new ElattnRuntimeException("graph " + name + ": UNDER_DEMAND applies to transferToHost only;"
                    + " use FIRST_EXECUTION or EVERY_EXECUTION for transferToDevice");
        }
        for (NativeArray a : arrays("transferToDevice", arrays)) {
            if (consumed.contains(a)) {
                throw new ElattnRuntimeException("graph " + name + ": " + a
                        + " is consumed from the device (consumeFromDevice), so it cannot also be transferred to it");
            }
            toDevice.add(new ImmutableTaskGraph.Transfer(mode, a));
        }
        return this;
    }

    /**
     * Copies arrays back to the host after this graph's tasks: after every execute, after the
     * first one only, or only when asked ({@link DataTransferMode#UNDER_DEMAND}, see
     * {@link ExecutionResult#transferToHost}).
     */
    public TaskGraph transferToHost(DataTransferMode mode, Object... arrays) {
        Objects.requireNonNull(mode, "mode");
        for (NativeArray a : arrays("transferToHost", arrays)) {
            toHost.add(new ImmutableTaskGraph.Transfer(mode, a));
        }
        return this;
    }

    /**
     * Declares that these arrays stay on the device after this graph for other graphs of the same
     * plan to {@link #consumeFromDevice} (within a plan every buffer stays for the plan's lifetime;
     * this states the intent and lets the plan check the consumers).
     */
    public TaskGraph persistOnDevice(Object... arrays) {
        persisted.addAll(arrays("persistOnDevice", arrays));
        return this;
    }

    /**
     * Declares that these arrays are already on the device, put there by an earlier graph of the
     * same plan that persists them: they are never copied in by this graph.
     */
    public TaskGraph consumeFromDevice(Object... arrays) {
        for (NativeArray a : arrays("consumeFromDevice", arrays)) {
            if (toDevice.stream().anyMatch(t -> t.array() == a)) {
                throw new ElattnRuntimeException("graph " + name + ": " + a
                        + " is transferred to the device, so it cannot also be consumed from it");
            }
            consumed.add(a);
        }
        return this;
    }

    /**
     * Adds a task that runs {@code kernel} (a static method reference) with {@code args}, one per
     * kernel parameter. The task is addressed as {@code graphName.taskName} in
     * {@link ExecutionPlan#withGrid} and {@link ExecutionResult}.
     */
    public <T1> TaskGraph task(String name, TaskFunctions.Task1<T1> kernel, Object... args) {
        return addTask(name, kernel, args);
    }

    /** Adds a task running a 2-parameter kernel; see {@link #task(String, TaskFunctions.Task1, Object...)}. */
    public <T1, T2> TaskGraph task(String name, TaskFunctions.Task2<T1, T2> kernel, Object... args) {
        return addTask(name, kernel, args);
    }

    /** Adds a task running a 3-parameter kernel; see {@link #task(String, TaskFunctions.Task1, Object...)}. */
    public <T1, T2, T3> TaskGraph task(String name, TaskFunctions.Task3<T1, T2, T3> kernel, Object... args) {
        return addTask(name, kernel, args);
    }

    /** Adds a task running a 4-parameter kernel; see {@link #task(String, TaskFunctions.Task1, Object...)}. */
    public <T1, T2, T3, T4> TaskGraph task(
            String name, TaskFunctions.Task4<T1, T2, T3, T4> kernel, Object... args) {
        return addTask(name, kernel, args);
    }

    /** Adds a task running a 5-parameter kernel; see {@link #task(String, TaskFunctions.Task1, Object...)}. */
    public <T1, T2, T3, T4, T5> TaskGraph task(
            String name, TaskFunctions.Task5<T1, T2, T3, T4, T5> kernel, Object... args) {
        return addTask(name, kernel, args);
    }

    /** Adds a task running a 6-parameter kernel; see {@link #task(String, TaskFunctions.Task1, Object...)}. */
    public <T1, T2, T3, T4, T5, T6> TaskGraph task(
            String name, TaskFunctions.Task6<T1, T2, T3, T4, T5, T6> kernel, Object... args) {
        return addTask(name, kernel, args);
    }

    /** Adds a task running a 7-parameter kernel; see {@link #task(String, TaskFunctions.Task1, Object...)}. */
    public <T1, T2, T3, T4, T5, T6, T7> TaskGraph task(
            String name, TaskFunctions.Task7<T1, T2, T3, T4, T5, T6, T7> kernel, Object... args) {
        return addTask(name, kernel, args);
    }

    /** Adds a task running a 8-parameter kernel; see {@link #task(String, TaskFunctions.Task1, Object...)}. */
    public <T1, T2, T3, T4, T5, T6, T7, T8> TaskGraph task(
            String name, TaskFunctions.Task8<T1, T2, T3, T4, T5, T6, T7, T8> kernel, Object... args) {
        return addTask(name, kernel, args);
    }

    /** Adds a task running a 9-parameter kernel; see {@link #task(String, TaskFunctions.Task1, Object...)}. */
    public <T1, T2, T3, T4, T5, T6, T7, T8, T9> TaskGraph task(
            String name, TaskFunctions.Task9<T1, T2, T3, T4, T5, T6, T7, T8, T9> kernel, Object... args) {
        return addTask(name, kernel, args);
    }

    /** Adds a task running a 10-parameter kernel; see {@link #task(String, TaskFunctions.Task1, Object...)}. */
    public <T1, T2, T3, T4, T5, T6, T7, T8, T9, T10> TaskGraph task(
            String name, TaskFunctions.Task10<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10> kernel, Object... args) {
        return addTask(name, kernel, args);
    }

    /** Adds a task running a 11-parameter kernel; see {@link #task(String, TaskFunctions.Task1, Object...)}. */
    public <T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11> TaskGraph task(
            String name, TaskFunctions.Task11<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11> kernel, Object... args) {
        return addTask(name, kernel, args);
    }

    /** Adds a task running a 12-parameter kernel; see {@link #task(String, TaskFunctions.Task1, Object...)}. */
    public <T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12> TaskGraph task(
            String name, TaskFunctions.Task12<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12> kernel, Object... args) {
        return addTask(name, kernel, args);
    }

    /** Adds a task running a 13-parameter kernel; see {@link #task(String, TaskFunctions.Task1, Object...)}. */
    public <T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13> TaskGraph task(
            String name, TaskFunctions.Task13<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13> kernel, Object... args) {
        return addTask(name, kernel, args);
    }

    /** Adds a task running a 14-parameter kernel; see {@link #task(String, TaskFunctions.Task1, Object...)}. */
    public <T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14> TaskGraph task(
            String name, TaskFunctions.Task14<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14> kernel, Object... args) {
        return addTask(name, kernel, args);
    }

    /** Adds a task running a 15-parameter kernel; see {@link #task(String, TaskFunctions.Task1, Object...)}. */
    public <T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15> TaskGraph task(
            String name, TaskFunctions.Task15<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15> kernel, Object... args) {
        return addTask(name, kernel, args);
    }

    private TaskGraph addTask(String taskName, Serializable kernel, Object[] args) {
        Objects.requireNonNull(taskName, "task name");
        Objects.requireNonNull(kernel, "kernel");
        if (taskName.isBlank() || taskName.contains(".")) {
            throw new ElattnRuntimeException("graph " + name + ": a task name must be non-empty without '.', got '"
                    + taskName + "'");
        }
        if (tasks.stream().anyMatch(t -> t.name().equals(taskName))) {
            throw new ElattnRuntimeException("graph " + name + " already has a task named " + taskName);
        }
        tasks.add(TaskSpec.declare(name, taskName, kernel, args));
        return this;
    }

    /** A frozen copy of this graph for an {@link ExecutionPlan}; the builder may go on changing. */
    public ImmutableTaskGraph snapshot() {
        return new ImmutableTaskGraph(name, toDevice, tasks, toHost, persisted, consumed);
    }

    private List<NativeArray> arrays(String operation, Object[] objects) {
        List<NativeArray> arrays = new ArrayList<>(objects.length);
        for (int i = 0; i < objects.length; i++) {
            if (!(objects[i] instanceof NativeArray array)) {
                throw new ElattnRuntimeException("graph " + name + ": " + operation + " argument " + (i + 1) + " is "
                        + (objects[i] == null ? "null" : "a " + objects[i].getClass().getSimpleName())
                        + "; only FloatArray, IntArray and HalfFloatArray move between host and device"
                        + " (pass scalars as task arguments, IntParam/LongParam/FloatParam if they change)");
            }
            arrays.add(array);
        }
        return arrays;
    }
}
