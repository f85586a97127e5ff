package dev.sluice.tasks.sql;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SqlStatementsTest {
    @Test
    void splitsAtSemicolonsOutsideQuotesAndComments() {
        String script = """
                -- load the day; then check it
                DELETE FROM prices WHERE day = '2024-01-02';
                INSERT INTO prices SELECT * FROM staging WHERE note <> 'a;b' AND "odd;name" = 'it''s;';
                /* a block; comment */
                SELECT 1;
                """;

        assertThat(SqlStatements.split(script))
                .containsExactly(
                        "-- load the day; then check it\nDELETE FROM prices WHERE day = '2024-01-02'",
                        "INSERT INTO prices SELECT * FROM staging WHERE note <> 'a;b' AND \"odd;name\" = 'it''s;'",
                        "/* a block; comment */\nSELECT 1");
    }

    @Test
    void keepsPostgresDollarQuotedBodiesWhole() {
        String script = """
                CREATE FUNCTION one() RETURNS int AS $$ BEGIN RETURN 1; END; $$ LANGUAGE plpgsql;
                CREATE FUNCTION two() RETURNS int AS $body$ SELECT 2; $body$ LANGUAGE sql;
                SELECT price$usd FROM t""";

        assertThat(SqlStatements.split(script))
                .containsExactly(
                        "CREATE FUNCTION one() RETURNS int AS $$ BEGIN RETURN 1; END; $$ LANGUAGE plpgsql",
                        "CREATE FUNCTION two() RETURNS int AS $body$ SELECT 2; $body$ LANGUAGE sql",
                        "SELECT price$usd FROM t");
    }

    @Test
    void dropsEmptyPieces() {
        assertThat(SqlStatements.split(" ; -- nothing\n ;; SELECT 1 ;  ")).containsExactly("SELECT 1");
        assertThat(SqlStatements.split("  -- only a comment")).isEmpty();
    }
}
