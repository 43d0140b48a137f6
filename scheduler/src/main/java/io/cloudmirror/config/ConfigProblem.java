package io.cloudmirror.config;

import java.nio.file.Path;

/**
 * One thing wrong with a configuration: where it is and what was expected.
 *
 * @param file    the YAML file
 * @param line    1-based line, or 0 when the problem is not at one line
 * @param field   the dotted field path, e.g. {@code spec.blobAccount.indexTagsMode}, or empty
 * @param message what is wrong and what was expected
 */
public record ConfigProblem(Path file, int line, String field, String message) {

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append(file == null ? "<config>" : file.toString());
        if (line > 0) {
            sb.append(':').append(line);
        }
        sb.append(": ");
        if (field != null && !field.isEmpty()) {
            sb.append(field).append(": ");
        }
        return sb.append(message).toString();
    }
}
