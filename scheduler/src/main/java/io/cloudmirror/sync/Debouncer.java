package io.cloudmirror.sync;

import java.time.Duration;

/**
 * Runs an action once things have been quiet for a while: each {@link #poke()} (re)starts the wait, so a
 * burst of pokes (an editor's several writes, a {@code sed -i} rename) runs the action once, {@code quiet}
 * after the last of them.
 *
 * <p>Thread-safe. Time and the thread the action runs on come from the injected {@link SyncTimer}.
 */
final class Debouncer implements AutoCloseable {

    private final SyncTimer timer;
    private final Duration quiet;
    private final Runnable action;
    private SyncTimer.Cancellable pending;
    private long pokes;
    private boolean closed;

    Debouncer(SyncTimer timer, Duration quiet, Runnable action) {
        this.timer = timer;
        this.quiet = quiet;
        this.action = action;
    }

    /** Something happened: run the action {@code quiet} from now, unless poked again before. */
    synchronized void poke() {
        if (closed) {
            return;
        }
        if (pending != null) {
            pending.cancel();
        }
        long poke = ++pokes;
        pending = timer.schedule(() -> fire(poke), timer.now().plus(quiet));
    }

    private void fire(long poke) {
        synchronized (this) {
            if (closed || poke != pokes) {
                return; // poked again since: a later run is due
            }
            pending = null;
        }
        action.run();
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (pending != null) {
            pending.cancel();
            pending = null;
        }
    }
}
