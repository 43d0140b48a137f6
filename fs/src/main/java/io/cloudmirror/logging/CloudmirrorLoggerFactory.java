package io.cloudmirror.logging;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.event.Level;

/**
 * Creates {@link RedactingLogger}s. The level is {@code -Dcloudmirror.log.level} (default info);
 * chatty libraries (Chronicle, the Azure SDK, reactor, the JDK HTTP client) are held at warn unless
 * {@code -Dcloudmirror.log.libraries} says otherwise. Thread-safe.
 */
final class CloudmirrorLoggerFactory implements ILoggerFactory {

    private static final String[] LIBRARIES = {"net.openhft", "com.azure", "reactor", "jdk.internal.httpclient",
        "io.netty", "com.microsoft"};

    private final Map<String, Logger> loggers = new ConcurrentHashMap<>();
    private final Level level = level(System.getProperty("cloudmirror.log.level"), Level.INFO);
    private final Level libraries = level(System.getProperty("cloudmirror.log.libraries"), Level.WARN);

    @Override
    public Logger getLogger(String name) {
        return loggers.computeIfAbsent(name, n -> new RedactingLogger(n, levelFor(n)));
    }

    private Level levelFor(String name) {
        for (String lib : LIBRARIES) {
            if (name.startsWith(lib)) {
                return libraries;
            }
        }
        return level;
    }

    private static Level level(String text, Level fallback) {
        if (text == null || text.isBlank()) {
            return fallback;
        }
        try {
            return Level.valueOf(text.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return fallback;
        }
    }
}
