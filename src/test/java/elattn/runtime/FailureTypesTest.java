package elattn.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import elattn.kernel.FloatArray;
import elattn.kernel.NativeArray;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * A plan passes a device's out-of-memory and build failures on with their type (so a caller can
 * shrink its batch or choose another device) and with the graph, task and device in the message.
 * The device here is a stand-in whose session fails on purpose.
 */
class FailureTypesTest {
    private static final String LOG = "error: expected ';' at line 3";

    private static Device failingDevice(boolean outOfMemory) {
        return new Device() {
            public String id() {
                return "fake:0";
            }

            public String name() {
                return "failing device";
            }

            public String backendName() {
                return "fake";
            }

            public long globalMemoryBytes() {
                return 1;
            }

            public int computeUnits() {
                return 1;
            }

            public boolean isGpu() {
                return false;
            }

            public DeviceSession open() {
                return new DeviceSession() {
                    public Device device() {
                        return failingDevice(outOfMemory);
                    }

                    public DeviceBuffer allocate(NativeArray like) {
                        if (outOfMemory) {
                            throw new DeviceOutOfMemoryException("fake:0", like.getNumBytes(), "no room");
                        }
                        return new DeviceBuffer() {
                            public long byteSize() {
                                return like.getNumBytes();
                            }

                            public int length() {
                                return like.getSize();
                            }
                        };
                    }

                    public void copyToDevice(MemorySegment src, DeviceBuffer dst) {
                    }

                    public void copyToHost(DeviceBuffer src, MemorySegment dst) {
                    }

                    public void fillZero(DeviceBuffer dst) {
                    }

                    public CompiledKernel compile(Kernel kernel, boolean checked) {
                        if (outOfMemory) {
                            return () -> kernel;
                        }
                        throw new KernelBuildException(kernel.name(), "fake:0", LOG);
                    }

                    public Launch launch(CompiledKernel kernel, LaunchGrid grid, Object[] args, boolean timed) {
                        throw new AssertionError("no buffer fits on this device");
                    }

                    public void finish() {
                    }

                    public void close() {
                    }
                };
            }
        };
    }

    private static ExecutionPlan plan(Device device) {
        FloatArray a = new FloatArray(8);
        FloatArray b = new FloatArray(8);
        FloatArray c = new FloatArray(8);
        TaskGraph graph = new TaskGraph("g").transferToDevice(DataTransferMode.FIRST_EXECUTION, a, b)
                .task("add", RuntimeTestKernels::add, a, b, c);
        return new ExecutionPlan(graph.snapshot()).withDevice(device);
    }

    @Test
    void outOfMemoryKeepsItsTypeAndSaysWhere() {
        try (ExecutionPlan plan = plan(failingDevice(true))) {
            DeviceOutOfMemoryException e = assertThrows(DeviceOutOfMemoryException.class, plan::execute);
            assertTrue(e.getMessage().contains("fake:0") && e.getMessage().contains("smaller batch"), e.getMessage());
        }
    }

    @Test
    void buildFailureKeepsItsTypeAndTheLog() {
        try (ExecutionPlan plan = plan(failingDevice(false))) {
            KernelBuildException e = assertThrows(KernelBuildException.class, plan::execute);
            assertEquals(LOG, e.buildLog());
            assertTrue(e.getMessage().contains("RuntimeTestKernels.add") && e.getMessage().contains("fake:0"), e.getMessage());
        }
    }
}
