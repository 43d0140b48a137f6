package io.cloudmirror.logging;

import io.cloudmirror.origin.Redactor;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.AbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/**
 * One named logger of cloudmirror's own SLF4J backend: formats a line, passes it (stack trace
 * included) through {@link Redactor} so that no secret reaches a log, and writes it to {@link LogSink}.
 * Thread-safe.
 */
final class RedactingLogger extends AbstractLogger {

    private static final long serialVersionUID = 1L;

    private final int threshold;

    RedactingLogger(String name, Level threshold) {
        this.name = name;
        this.threshold = threshold.toInt();
    }

    private boolean on(Level level) {
        return level.toInt() >= threshold;
    }

    @Override
    public boolean isTraceEnabled() {
        return on(Level.TRACE);
    }

    @Override
    public boolean isTraceEnabled(Marker marker) {
        return on(Level.TRACE);
    }

    @Override
    public boolean isDebugEnabled() {
        return on(Level.DEBUG);
    }

    @Override
    public boolean isDebugEnabled(Marker marker) {
        return on(Level.DEBUG);
    }

    @Override
    public boolean isInfoEnabled() {
        return on(Level.INFO);
    }

    @Override
    public boolean isInfoEnabled(Marker marker) {
        return on(Level.INFO);
    }

    @Override
    public boolean isWarnEnabled() {
        return on(Level.WARN);
    }

    @Override
    public boolean isWarnEnabled(Marker marker) {
        return on(Level.WARN);
    }

    @Override
    public boolean isErrorEnabled() {
        return on(Level.ERROR);
    }

    @Override
    public boolean isErrorEnabled(Marker marker) {
        return on(Level.ERROR);
    }

    @Override
    protected String getFullyQualifiedCallerName() {
        return null;
    }

    @Override
    protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] args,
                                               Throwable throwable) {
        if (!on(level)) {
            return;
        }
        String message = MessageFormatter.basicArrayFormat(pattern, args);
        StringBuilder line = new StringBuilder(128)
                .append(Instant.now()).append(' ')
                .append(level).append(level.toString().length() == 4 ? "  " : " ")
                .append('[').append(Thread.currentThread().getName()).append("] ")
                .append(shortName()).append(" - ")
                .append(message);
        if (throwable != null) {
            StringWriter sw = new StringWriter();
            throwable.printStackTrace(new PrintWriter(sw));
            line.append(System.lineSeparator()).append(sw.toString().stripTrailing());
        }
        LogSink.write(Redactor.redact(line.toString()));
    }

    private String shortName() {
        int dot = name.lastIndexOf('.');
        return dot < 0 ? name : name.substring(dot + 1);
    }
}
