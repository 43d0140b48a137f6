package io.cloudmirror.index;

import java.io.File;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import net.openhft.chronicle.values.ValueModel;

/**
 * Build step: generates, at build time, the off-heap value class that Chronicle Map otherwise generates
 * and compiles with javac on every daemon start (about one second of start-up, and the reason the
 * runtime needs the jdk.compiler module). The compiled class lands in target/classes, where Chronicle
 * Values finds it by name and skips its run-time compilation.
 *
 * <p>Usage (run by Maven in the process-classes phase): {@code PregenerateValueClasses OUTPUT_DIR}
 */
public final class PregenerateValueClasses {

    private static final List<String> VALUE_TYPES = List.of("net.openhft.chronicle.hash.VanillaGlobalMutableState");

    private PregenerateValueClasses() {
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        Path src = Files.createTempDirectory("cloudmirror-pregen");
        Method generate = Class.forName("net.openhft.chronicle.values.Generators")
                .getDeclaredMethod("generateNativeClass", ValueModel.class, String.class);
        generate.setAccessible(true);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        for (String typeName : VALUE_TYPES) {
            Class<?> type = Class.forName(typeName);
            String simple = type.getSimpleName() + "$$Native";
            String code = (String) generate.invoke(null, ValueModel.acquire(type), simple);
            Path file = src.resolve(type.getPackageName().replace('.', '/')).resolve(simple + ".java");
            Files.createDirectories(file.getParent());
            Files.writeString(file, code, StandardCharsets.UTF_8);
            int rc = javac.run(null, null, null, "-nowarn", "-proc:none", "--release", "17",
                    "-cp", System.getProperty("java.class.path"), "-d", out.toString(), file.toString());
            if (rc != 0) {
                throw new IllegalStateException("javac failed for " + file);
            }
            System.out.println("pregenerated " + type.getPackageName() + "." + simple + " into " + out);
        }
        for (File f : src.toFile().listFiles()) {
            f.delete();
        }
    }
}
