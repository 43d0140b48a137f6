package io.cloudmirror.config;

import com.cronutils.model.Cron;
import com.cronutils.model.definition.CronDefinition;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Optional;

/**
 * {@code spec.schedule.frequency}: {@code never}, a nickname ({@code @annually @yearly @monthly @weekly
 * @daily @hourly}) or a 5-field UNIX cron expression (minute hour day-of-month month day-of-week), in UTC.
 * Immutable and thread-safe.
 */
public final class Frequency {

    /**
     * UNIX crontab fields plus the nicknames the product document lists. cron-utils' stock UNIX
     * definition rejects nicknames, so this one is assembled here.
     */
    static final CronDefinition DEFINITION = CronDefinitionBuilder.defineCron()
            .withMinutes().withValidRange(0, 59).withStrictRange().and()
            .withHours().withValidRange(0, 23).withStrictRange().and()
            .withDayOfMonth().withValidRange(1, 31).withStrictRange().and()
            .withMonth().withValidRange(1, 12).withStrictRange().and()
            .withDayOfWeek().withValidRange(0, 7).withMondayDoWValue(1).withIntMapping(7, 0).withStrictRange().and()
            .withSupportedNicknameYearly()
            .withSupportedNicknameAnnually()
            .withSupportedNicknameMonthly()
            .withSupportedNicknameWeekly()
            .withSupportedNicknameDaily()
            .withSupportedNicknameHourly()
            .instance();

    private static final CronParser PARSER = new CronParser(DEFINITION);

    /** The rule an expression must follow, for error messages. */
    public static final String RULE = "expected \"never\", one of @annually @yearly @monthly @weekly @daily @hourly, "
            + "or 5-field cron \"minute hour day-of-month month day-of-week\" "
            + "(0-59 0-23 1-31 1-12 0-6; * , - / allowed), e.g. \"30 2 * * *\"";

    private final String expression;
    private final ExecutionTime execution;

    private Frequency(String expression, ExecutionTime execution) {
        this.expression = expression;
        this.execution = execution;
    }

    /** Parses {@code text}; throws {@link IllegalArgumentException} naming the expression and the rule. */
    public static Frequency parse(String text) {
        String expr = text == null ? "" : text.strip();
        if (expr.equalsIgnoreCase("never")) {
            return new Frequency("never", null);
        }
        if (expr.isEmpty()) {
            throw new IllegalArgumentException("empty frequency; " + RULE);
        }
        if (!expr.startsWith("@") && expr.split("\\s+").length != 5) {
            throw new IllegalArgumentException("\"" + expr + "\" has " + expr.split("\\s+").length
                    + " fields; " + RULE);
        }
        ExecutionTime execution;
        try {
            Cron cron = PARSER.parse(expr);
            cron.validate();
            execution = ExecutionTime.forCron(cron);
        } catch (IllegalArgumentException e) {
            String why = e.getMessage() == null ? "" : " (" + e.getMessage().strip() + ")";
            throw new IllegalArgumentException("\"" + expr + "\" is not a valid schedule" + why + "; " + RULE, e);
        }
        // Cron has no year field, so a schedule that fires at all fires within 28 years of any date.
        if (execution.nextExecution(ZonedDateTime.of(2000, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC)).isEmpty()) {
            throw new IllegalArgumentException("\"" + expr + "\" never fires (that day does not occur in that month); "
                    + "write \"never\" to turn the schedule off, or " + RULE);
        }
        return new Frequency(expr, execution);
    }

    /** The expression as written ({@code never} normalized). */
    public String expression() {
        return expression;
    }

    /** True for {@code never}. */
    public boolean isNever() {
        return execution == null;
    }

    /** The first scheduled time strictly after {@code t} (UTC), if any. */
    public Optional<ZonedDateTime> nextAfter(ZonedDateTime t) {
        return execution == null ? Optional.empty() : execution.nextExecution(t.withZoneSameInstant(ZoneOffset.UTC));
    }

    /** The last scheduled time strictly before {@code t} (UTC), if any. */
    public Optional<ZonedDateTime> lastBefore(ZonedDateTime t) {
        return execution == null ? Optional.empty() : execution.lastExecution(t.withZoneSameInstant(ZoneOffset.UTC));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Frequency f && f.expression.equals(expression);
    }

    @Override
    public int hashCode() {
        return expression.hashCode();
    }

    @Override
    public String toString() {
        return expression;
    }
}
