package io.cloudmirror.fuse;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A FUSE session's request loop, run on threads the JVM starts ({@code fuse-worker-N}): each reads a request
 * from the device ({@code fuse_session_receive_buf}) and has libfuse dispatch it to the operations
 * ({@code fuse_session_process_buf}), as {@code fuse_session_loop_mt} does with threads of its own.
 *
 * <p>Why not libfuse's loop: its workers are native threads, and jffi attaches a native thread to the JVM
 * and detaches it again around each of that thread's first 1,000 callbacks (each time a new
 * {@code java.lang.Thread}, its thread-locals and scratch memory). With 10 workers that is 10,000 attach and
 * detach cycles after each mount, which took more time than the requests themselves: the first {@code stat}
 * of 20,000 files after a mount cost the daemon 2.2 CPU-seconds. A thread the JVM started is attached for good.
 *
 * <p>Workers are started while all are busy, up to {@code maxWorkers}, and kept until the session ends (as
 * libfuse's loop does). The session ends when the kernel detaches the mount (every reader then gets ENODEV);
 * the loop ends when every worker has seen it. Threading: {@link #run} blocks its caller
 * until every worker has stopped; nothing else is public.
 */
final class SessionLoop {

    private static final Logger LOG = LoggerFactory.getLogger(SessionLoop.class);
    private static final AtomicInteger NAMES = new AtomicInteger();
    /** {@code struct fuse_buf}: size, flags, mem, fd, pos. */
    private static final int FUSE_BUF_SIZE = 40;
    private static final long FUSE_BUF_MEM = 16;
    private static final int EINTR = 4;
    private static final int EAGAIN = 11;
    private static final long STOP_WAIT_SECONDS = 10;

    private final LibFuse3 fuse;
    private final Pointer session;
    private final int maxWorkers;
    private final Runtime runtime;
    private final AtomicInteger idle = new AtomicInteger();
    /** The workers started; guarded by itself, as is {@link #stopping}. */
    private final List<Thread> workers = new ArrayList<>();
    private boolean stopping;
    private final CountDownLatch firstStopped = new CountDownLatch(1);

    SessionLoop(LibFuse3 fuse, Pointer session, int maxWorkers) {
        this.fuse = fuse;
        this.session = session;
        this.maxWorkers = maxWorkers;
        this.runtime = Runtime.getRuntime(fuse);
    }

    /**
     * Serves requests until the session ends, then waits for every worker. Returns false if a worker was still
     * running {@value #STOP_WAIT_SECONDS} s after the first stopped: the session's descriptor and memory must
     * then be left alone (not unmounted, not destroyed), since that worker may still read or answer through
     * them.
     */
    boolean run() throws InterruptedException {
        startWorker();
        firstStopped.await();
        fuse.fuse_session_exit(session);
        List<Thread> started;
        synchronized (workers) {
            stopping = true; // no worker starts after this, so none can touch the session once these are done
            started = new ArrayList<>(workers);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(STOP_WAIT_SECONDS);
        for (Thread t : started) {
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            if (t.isAlive()) {
                LOG.warn("FUSE worker {} did not stop within {} s of the session's end", t.getName(),
                        STOP_WAIT_SECONDS);
                return false;
            }
        }
        return true;
    }

    private void startWorker() {
        synchronized (workers) {
            if (stopping || workers.size() >= maxWorkers) {
                return;
            }
            Thread t = new Thread(this::work, "fuse-worker-" + NAMES.incrementAndGet());
            t.setDaemon(true);
            workers.add(t);
            t.start();
        }
    }

    private void work() {
        Pointer buf = Memory.allocateDirect(runtime, FUSE_BUF_SIZE, true);
        try {
            while (fuse.fuse_session_exited(session) == 0) {
                idle.incrementAndGet();
                int res = fuse.fuse_session_receive_buf(session, buf);
                if (idle.decrementAndGet() == 0 && res > 0) {
                    startWorker(); // every worker is busy: one more waits for the next request
                }
                if (res == -EINTR || res == -EAGAIN) {
                    continue;
                }
                if (res <= 0) {
                    if (res < 0) {
                        LOG.warn("reading the FUSE device failed (errno {}); the session ends", -res);
                    }
                    break;
                }
                fuse.fuse_session_process_buf(session, buf);
            }
        } catch (Throwable t) {
            LOG.error("FUSE worker {} failed; the session ends", Thread.currentThread().getName(), t);
        } finally {
            Pointer mem = buf.getPointer(FUSE_BUF_MEM);
            if (mem != null && mem.address() != 0) {
                fuse.free(mem);
            }
            firstStopped.countDown();
        }
    }
}
