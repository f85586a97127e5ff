{{ config(
    materialized='incremental',
    incremental_strategy=interval_incremental_strategy(),
    unique_key=['symbol', 'trade_date'],
) }}

-- The previous close comes from earlier intervals: read ten days back (enough to cross a long
-- weekend), compute, then keep only the interval's rows. A previous close more than ten days old
-- does not count, whatever the interval's length, so a day's row is the same whether its run
-- covered that day alone or a whole quarter of a backfill.
with recent as (
    select
        trade_date,
        symbol,
        open_price,
        high_price,
        low_price,
        close_price,
        volume,
        case
            when lag(trade_date) over (partition by symbol order by trade_date) >= {{ days_before('trade_date', 10) }}
                then lag(close_price) over (partition by symbol order by trade_date)
        end as previous_close_price
    from {{ ref('bronze_prices') }}
    where {{ data_interval_filter('trade_date', lookback_days=10) }}
)

select
    recent.trade_date,
    recent.symbol,
    coalesce(companies.sector, 'Unknown') as sector,
    recent.open_price,
    recent.high_price,
    recent.low_price,
    recent.close_price,
    recent.previous_close_price,
    case
        when recent.previous_close_price > 0 then recent.close_price / recent.previous_close_price - 1
    end as daily_return,
    recent.volume,
    recent.close_price * recent.volume as traded_value
from recent
left join {{ ref('silver_companies') }} as companies
    on recent.symbol = companies.symbol
where {{ data_interval_filter('recent.trade_date') }}
