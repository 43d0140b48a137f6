package io.cloudmirror.e2e;

import com.sun.tools.attach.VirtualMachine;
import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Collectors;
import javax.management.MBeanServerConnection;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * The memory and threads of a daemon's JVM, as a leak would grow them, read from outside: the test attaches
 * to the daemon with the JDK's attach API (same user; the launcher leaves attach on), starts its local JMX
 * agent and reads the platform MXBeans. The agent's own threads and objects count from the first sample on,
 * so take the baseline through the same instance. Not thread-safe; one per daemon, closed by the test.
 */
final class DaemonJvm implements AutoCloseable {

    /**
     * What the daemon held after a full collection.
     *
     * @param heapBytes     heap in use (live objects, with the serial collector the launcher picks)
     * @param directBytes   native memory of live direct byte buffers ({@code ByteBuffer.allocateDirect})
     * @param directBuffers how many direct byte buffers are live
     * @param threads       live JVM threads by family (the name with digits replaced by {@code #}), counted
     */
    record Sample(long heapBytes, long directBytes, long directBuffers, Map<String, Integer> threads) {

        int threadCount() {
            return threads.values().stream().mapToInt(Integer::intValue).sum();
        }

        @Override
        public String toString() {
            return String.format("heap %.1f MiB, direct %.1f MiB in %d buffers, %d threads",
                    heapBytes / 1048576.0, directBytes / 1048576.0, directBuffers, threadCount());
        }
    }

    private final VirtualMachine vm;
    private final JMXConnector jmx;
    private final MemoryMXBean memory;
    private final BufferPoolMXBean direct;
    private final ThreadMXBean threads;

    private DaemonJvm(VirtualMachine vm, JMXConnector jmx) throws IOException {
        this.vm = vm;
        this.jmx = jmx;
        MBeanServerConnection c = jmx.getMBeanServerConnection();
        memory = ManagementFactory.newPlatformMXBeanProxy(c, ManagementFactory.MEMORY_MXBEAN_NAME, MemoryMXBean.class);
        direct = ManagementFactory.newPlatformMXBeanProxy(c, "java.nio:type=BufferPool,name=direct",
                BufferPoolMXBean.class);
        threads = ManagementFactory.newPlatformMXBeanProxy(c, ManagementFactory.THREAD_MXBEAN_NAME, ThreadMXBean.class);
    }

    /** Attaches to the JVM of process {@code pid} and connects to its local JMX agent (started if need be). */
    static DaemonJvm attach(long pid) throws Exception {
        VirtualMachine vm = VirtualMachine.attach(Long.toString(pid));
        try {
            String url = vm.startLocalManagementAgent();
            return new DaemonJvm(vm, JMXConnectorFactory.connect(new JMXServiceURL(url)));
        } catch (Exception | Error e) {
            vm.detach();
            throw e;
        }
    }

    /** Live JVM threads now by family (the name with digits replaced by {@code #}), counted; no collection. */
    Map<String, Integer> threads() throws IOException {
        return Arrays.stream(threads.getThreadInfo(threads.getAllThreadIds()))
                .filter(Objects::nonNull).map(ThreadInfo::getThreadName)
                .collect(Collectors.toMap(n -> n.replaceAll("[0-9]+", "#"), n -> 1, Integer::sum, TreeMap::new));
    }

    /**
     * A full collection, then what is left. The native memory of unreachable direct buffers is freed by
     * their cleaners after the collection, on another thread: collects again until the direct memory stops
     * shrinking (at most five times).
     */
    Sample afterFullGc() throws IOException, InterruptedException {
        memory.gc();
        long directBytes = direct.getMemoryUsed();
        for (int i = 0; i < 4; i++) {
            Thread.sleep(200);
            memory.gc();
            long now = direct.getMemoryUsed();
            if (now >= directBytes) {
                break;
            }
            directBytes = now;
        }
        return new Sample(memory.getHeapMemoryUsage().getUsed(), direct.getMemoryUsed(), direct.getCount(), threads());
    }

    /**
     * The thread families of {@code after} that are more numerous than in {@code before}, with the increase.
     * Families that shrank (pool threads that timed out since) do not offset those that grew.
     */
    static Map<String, Integer> grown(Map<String, Integer> before, Map<String, Integer> after) {
        Map<String, Integer> grown = new TreeMap<>();
        after.forEach((n, c) -> {
            int was = before.getOrDefault(n, 0);
            if (c > was) {
                grown.put(n, c - was);
            }
        });
        return grown;
    }

    /** How many threads more {@link #grown} counts. */
    static int grownCount(Map<String, Integer> before, Map<String, Integer> after) {
        return grown(before, after).values().stream().mapToInt(Integer::intValue).sum();
    }

    @Override
    public void close() throws IOException {
        try {
            jmx.close();
        } finally {
            vm.detach();
        }
    }
}
