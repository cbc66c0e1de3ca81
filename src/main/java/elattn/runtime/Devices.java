package elattn.runtime;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The devices of every backend on the class path (found with {@link ServiceLoader}), looked up
 * once per JVM. A backend whose library or driver is missing, or that fails while looking for
 * devices, is reported as unavailable with its reason; it never stops the others.
 */
public final class Devices {
    private static final Logger LOG = LoggerFactory.getLogger(Devices.class);
    /** Preference among GPU backends for the default device. */
    private static final List<String> GPU_BACKEND_ORDER = List.of("cuda", "opencl");

    private static Device defaultDevice;

    private Devices() {
    }

    /** What discovery found: devices per backend, and why backends without devices have none. */
    private record Discovery(Map<String, List<Device>> devices, Map<String, String> unavailable) {
    }

    private static final class Holder {
        static final Discovery DISCOVERY = discover();
    }

    private static Discovery discover() {
        Map<String, List<Device>> devices = new LinkedHashMap<>();
        Map<String, String> unavailable = new LinkedHashMap<>();
        Iterator<Backend> it = ServiceLoader.load(Backend.class).iterator();
        while (true) {
            Backend backend;
            try {
                if (!it.hasNext()) {
                    break;
                }
                backend = it.next();
            } catch (ServiceConfigurationError | LinkageError e) {
                // A provider class that cannot load (missing dependency): ServiceLoader moves past it.
                unavailable.put("backend#" + unavailable.size(), String.valueOf(e));
                LOG.debug("a backend failed to load", e);
                continue;
            }
            try {
                List<Device> found = List.copyOf(backend.devices());
                if (found.isEmpty()) {
                    unavailable.put(backend.name(), backend.unavailableReason().orElse("no devices"));
                } else {
                    devices.put(backend.name(), found);
                }
            } catch (RuntimeException | LinkageError e) {
                unavailable.put(backend.name(), "failed while looking for devices: " + e);
                LOG.debug("backend {} failed while looking for devices", backend.name(), e);
            }
        }
        return new Discovery(devices, unavailable);
    }

    /** The names of every backend found, with or without devices, in discovery order. */
    public static List<String> backendNames() {
        List<String> names = new ArrayList<>(Holder.DISCOVERY.devices().keySet());
        names.addAll(Holder.DISCOVERY.unavailable().keySet());
        return names;
    }

    /** Every device of every available backend. */
    public static List<Device> all() {
        return Holder.DISCOVERY.devices().values().stream().flatMap(List::stream).toList();
    }

    /** The devices of one backend ({@code jvm}, {@code opencl}, {@code cuda}); empty if it has none. */
    public static List<Device> ofBackend(String backendName) {
        return Holder.DISCOVERY.devices().getOrDefault(backendName, List.of());
    }

    /**
     * Why a backend has no devices (missing library, no driver, not on the class path); empty when
     * it has devices.
     */
    public static Optional<String> unavailableReason(String backendName) {
        if (Holder.DISCOVERY.devices().containsKey(backendName)) {
            return Optional.empty();
        }
        return Optional.of(Holder.DISCOVERY.unavailable().getOrDefault(backendName,
                "no backend named " + backendName + " is on the class path"));
    }

    /**
     * The device with this id ({@code jvm}, {@code opencl:N}, {@code cuda:N}), or for a backend's
     * name ({@code opencl}, {@code cuda}) its first device.
     */
    public static Device byId(String id) {
        for (Device d : all()) {
            if (d.id().equals(id)) {
                return d;
            }
        }
        if (!ofBackend(id).isEmpty()) {
            return ofBackend(id).getFirst();
        }
        throw new ElattnRuntimeException("no device '" + id + "'; available devices: "
                + all().stream().map(d -> d.id() + " (" + d.name() + ")").collect(Collectors.joining(", "))
                + unavailableSummary());
    }

    /**
     * The best GPU (CUDA before OpenCL, then the most memory), else the JVM. Logs once which device
     * was chosen and why.
     */
    public static synchronized Device defaultDevice() {
        if (defaultDevice == null) {
            defaultDevice = chooseDefault();
        }
        return defaultDevice;
    }

    private static Device chooseDefault() {
        Comparator<Device> preference = Comparator
                .comparingInt((Device d) -> {
                    int rank = GPU_BACKEND_ORDER.indexOf(d.backendName());
                    return rank < 0 ? GPU_BACKEND_ORDER.size() : rank;
                })
                .thenComparing(Comparator.comparingLong(Device::globalMemoryBytes).reversed());
        Optional<Device> gpu = all().stream().filter(Device::isGpu).sorted(preference).findFirst();
        Device chosen;
        String why;
        if (gpu.isPresent()) {
            chosen = gpu.get();
            why = "the best GPU found";
        } else {
            chosen = all().stream().filter(d -> d.backendName().equals("jvm")).findFirst()
                    .orElseThrow(() -> new ElattnRuntimeException("no device at all: neither a GPU nor the jvm backend"
                            + " is available" + unavailableSummary()));
            why = "no GPU found";
        }
        LOG.info("default device {} ({}, {} MiB): {}{}", chosen.id(), chosen.name(),
                chosen.globalMemoryBytes() >> 20, why, unavailableSummary());
        return chosen;
    }

    private static String unavailableSummary() {
        Map<String, String> unavailable = Holder.DISCOVERY.unavailable();
        if (unavailable.isEmpty()) {
            return "";
        }
        List<String> parts = new ArrayList<>();
        unavailable.forEach((backend, reason) -> parts.add(backend + ": " + reason));
        return "; unavailable backends: " + String.join("; ", parts);
    }
}
