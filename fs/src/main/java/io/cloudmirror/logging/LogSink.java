package io.cloudmirror.logging;

import java.io.PrintStream;

/**
 * Where log lines go: standard error by default (the journal under systemd), or a file chosen by the
 * daemon. Thread-safe; lines are written whole.
 */
public final class LogSink {

    private static volatile PrintStream out = System.err;

    private LogSink() {
    }

    /** Sends every further log line to {@code stream}. */
    public static void redirect(PrintStream stream) {
        out = stream;
    }

    static void write(String line) {
        PrintStream s = out;
        synchronized (s) {
            s.println(line);
            s.flush();
        }
    }
}
