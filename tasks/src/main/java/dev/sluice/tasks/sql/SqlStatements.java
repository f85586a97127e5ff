package dev.sluice.tasks.sql;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits a SQL script into statements at semicolons outside quotes, Postgres dollar quotes
 * ({@code $$ ... $$}, {@code $body$ ... $body$}) and comments: JDBC drivers, Trino's above all, take
 * one statement at a time and reject a trailing semicolon. Pieces that hold only whitespace and
 * comments are dropped.
 */
public final class SqlStatements {
    private static final Pattern DOLLAR_QUOTE = Pattern.compile("\\$([A-Za-z_][A-Za-z0-9_]*)?\\$");

    private SqlStatements() {}

    public static List<String> split(String script) {
        List<String> statements = new ArrayList<>();
        int start = 0;
        boolean hasCode = false;
        int index = 0;
        while (index < script.length()) {
            char current = script.charAt(index);
            char next = index + 1 < script.length() ? script.charAt(index + 1) : 0;
            if (current == '\'' || current == '"') {
                index = closingQuote(script, index, current) + 1;
                hasCode = true;
            } else if (current == '-' && next == '-') {
                int end = script.indexOf('\n', index);
                index = end < 0 ? script.length() : end + 1;
            } else if (current == '/' && next == '*') {
                int end = script.indexOf("*/", index + 2);
                index = end < 0 ? script.length() : end + 2;
            } else if (current == '$' && startsDollarQuote(script, index)) {
                Matcher tag = DOLLAR_QUOTE.matcher(script).region(index, script.length());
                tag.lookingAt();
                int end = script.indexOf(tag.group(), tag.end());
                index = end < 0 ? script.length() : end + tag.group().length();
                hasCode = true;
            } else if (current == ';') {
                if (hasCode) {
                    statements.add(script.substring(start, index).strip());
                }
                start = index + 1;
                hasCode = false;
                index++;
            } else {
                hasCode |= !Character.isWhitespace(current);
                index++;
            }
        }
        if (hasCode) {
            statements.add(script.substring(start).strip());
        }
        return List.copyOf(statements);
    }

    // In Postgres "a$b" is an identifier: a dollar quote starts only where no identifier goes on.
    private static boolean startsDollarQuote(String script, int index) {
        if (index > 0) {
            char before = script.charAt(index - 1);
            if (Character.isLetterOrDigit(before) || before == '_' || before == '$') {
                return false;
            }
        }
        return DOLLAR_QUOTE.matcher(script).region(index, script.length()).lookingAt();
    }

    // A doubled quote inside quotes is an escaped quote, not the end.
    private static int closingQuote(String script, int open, char quote) {
        int index = open + 1;
        while (index < script.length()) {
            if (script.charAt(index) == quote) {
                if (index + 1 < script.length() && script.charAt(index + 1) == quote) {
                    index += 2;
                    continue;
                }
                return index;
            }
            index++;
        }
        return script.length();
    }
}
