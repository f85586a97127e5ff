-- The users' source database mydb: the S&P 500 files of examples/data/sp500, loaded by the source-db-init
-- job at every start of the stack; one transaction, so a reader sees the old rows or the new, never half.
BEGIN;
CREATE SCHEMA IF NOT EXISTS sp500;
CREATE TABLE IF NOT EXISTS sp500.prices (
    trade_date date NOT NULL,
    open double precision,
    high double precision,
    low double precision,
    close double precision,
    volume bigint,
    symbol text NOT NULL,
    PRIMARY KEY (symbol, trade_date)
);
CREATE TABLE IF NOT EXISTS sp500.companies (
    symbol text PRIMARY KEY,
    name text NOT NULL,
    sector text NOT NULL
);
CREATE TABLE IF NOT EXISTS sp500.index_levels (
    trade_date date PRIMARY KEY,
    level double precision NOT NULL
);
TRUNCATE sp500.prices, sp500.companies, sp500.index_levels;
\copy sp500.prices (trade_date, open, high, low, close, volume, symbol) FROM '/data/sp500/all_stocks_5yr.csv' WITH (FORMAT csv, HEADER true)
\copy sp500.companies (symbol, name, sector) FROM '/data/sp500/constituents_2018-04-02.csv' WITH (FORMAT csv, HEADER true)
\copy sp500.index_levels (trade_date, level) FROM '/data/sp500/sp500_index_daily_1990-2022_skfolio.csv' WITH (FORMAT csv, HEADER true)
COMMIT;
SELECT 'sp500.prices' AS loaded, count(*) AS rows FROM sp500.prices
UNION ALL SELECT 'sp500.companies', count(*) FROM sp500.companies
UNION ALL SELECT 'sp500.index_levels', count(*) FROM sp500.index_levels;
