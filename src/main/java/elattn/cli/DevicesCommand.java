package elattn.cli;

import elattn.runtime.Device;
import elattn.runtime.Devices;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code elattn devices}: every device of every backend, and why a backend has none. */
@Command(name = "devices", description = "List the devices kernels can run on (the default is marked *).")
final class DevicesCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Device chosen = Devices.defaultDevice();
        out.printf("%-3s%-11s%-44s%12s%7s%n", "", "ID", "NAME", "MEMORY", "UNITS");
        for (String backend : Devices.backendNames()) {
            for (Device d : Devices.ofBackend(backend)) {
                out.printf("%-3s%-11s%-44s%9.1f GiB%7d%n", d.id().equals(chosen.id()) ? "*" : "", d.id(),
                        abbreviate(d.name(), 43), d.globalMemoryBytes() / (double) (1L << 30), d.computeUnits());
            }
            Devices.unavailableReason(backend).ifPresent(why -> out.printf("   %-11s(none: %s)%n", backend, why));
        }
        out.flush();
        return 0;
    }

    private static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }
}
