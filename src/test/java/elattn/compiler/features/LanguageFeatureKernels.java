package elattn.compiler.features;

import elattn.kernel.FloatArray;
import elattn.kernel.IntArray;
import elattn.kernel.Parallel;

public final class LanguageFeatureKernels {
    private LanguageFeatureKernels() {
    }

    public static void saxpy(FloatArray x, FloatArray y, float a) {
        for (@Parallel int i = 0; i < x.getSize(); i++) {
            y.set(i, a * x.get(i) + y.get(i));
        }
    }

    public static void matmul(FloatArray a, FloatArray b, FloatArray c, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            for (@Parallel int j = 0; j < n; j++) {
                float sum = 0f;
                for (int k = 0; k < n; k++) {
                    sum += a.get(i * n + k) * b.get(k * n + j);
                }
                if (sum < 0) {
                    sum = -sum;
                } else if (sum > 100) {
                    sum = 100;
                } else {
                    sum = sum * 2;
                }
                c.set(i * n + j, sum);
            }
        }
    }

    public static void ints(IntArray in, IntArray out) {
        for (@Parallel int i = 1; i <= out.getSize() - 1; i += 2) {
            int v = in.get(i);
            out.set(i, (v >>> 3) ^ (v << 33) + v % 7 / 2);
        }
    }
}
