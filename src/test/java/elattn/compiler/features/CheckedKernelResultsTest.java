package elattn.compiler.features;

import static org.junit.jupiter.api.Assertions.assertEquals;

import elattn.compiler.features.LanguageFeatureCases.ContextCase;
import elattn.compiler.features.LanguageFeatureCases.ParallelCase;
import elattn.kernel.KernelContext;
import elattn.kernel.NativeArray;
import elattn.runtime.Device;
import elattn.testing.TestDevices;
import elattn.testing.TestDevices.TestDevice;
import java.lang.foreign.MemorySegment;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Index checks change no result of a kernel that stays in range: every kernel of the language-feature
 * corpus, built with its checks and without, gives the same bytes in every array on every test
 * device but the jvm (whose kernels are checked by Java either way). The checks only read indexes,
 * and an index in range passes through unchanged; this holds the devices' compilers to it.
 */
class CheckedKernelResultsTest {
    private static Stream<TestDevice> nativeDevices() {
        return TestDevices.devices().filter(d -> !d.label().startsWith("jvm"));
    }

    static Stream<Arguments> parallelRuns() {
        return nativeDevices().flatMap(d -> LanguageFeatureCases.parallelCases().stream().map(c -> Arguments.of(d, c)));
    }

    static Stream<Arguments> contextRuns() {
        return nativeDevices().flatMap(d -> LanguageFeatureCases.contextCases().stream().map(c -> Arguments.of(d, c)));
    }

    @ParameterizedTest(name = "{1} on {0}", allowZeroInvocations = true)
    @MethodSource("parallelRuns")
    void parallelKernelGivesTheSameBytesChecked(TestDevice testDevice, ParallelCase c) {
        Device device = testDevice.get();
        Object[] plain = c.arguments().get();
        Object[] checked = c.arguments().get();
        LanguageFeatureDeviceTest.runOnDevice(device, c.kernel(), c.task(), plain, plain, null, false);
        LanguageFeatureDeviceTest.runOnDevice(device, c.kernel(), c.task(), checked, checked, null, true);
        assertSameBytes(plain, checked, c + " on " + testDevice);
    }

    @ParameterizedTest(name = "{1} on {0}", allowZeroInvocations = true)
    @MethodSource("contextRuns")
    void contextKernelGivesTheSameBytesChecked(TestDevice testDevice, ContextCase c) {
        Device device = testDevice.get();
        Object[] plain = c.arguments().get();
        Object[] checked = c.arguments().get();
        LanguageFeatureDeviceTest.runOnDevice(device, c.kernel(), c.task(), withContext(plain), plain,
                LanguageFeatureDeviceTest.grid(c.global(), c.local()), false);
        LanguageFeatureDeviceTest.runOnDevice(device, c.kernel(), c.task(), withContext(checked), checked,
                LanguageFeatureDeviceTest.grid(c.global(), c.local()), true);
        assertSameBytes(plain, checked, c + " on " + testDevice);
    }

    private static Object[] withContext(Object[] args) {
        Object[] out = new Object[args.length + 1];
        out[0] = new KernelContext();
        System.arraycopy(args, 0, out, 1, args.length);
        return out;
    }

    private static void assertSameBytes(Object[] plain, Object[] checked, String what) {
        for (int i = 0; i < plain.length; i++) {
            if (plain[i] instanceof NativeArray p) {
                MemorySegment c = ((NativeArray) checked[i]).getSegment();
                assertEquals(-1, p.getSegment().mismatch(c), what + ", argument " + i + ": first differing byte");
            }
        }
    }
}
