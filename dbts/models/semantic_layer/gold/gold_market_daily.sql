{{ config(
    materialized='incremental',
    incremental_strategy=interval_incremental_strategy(),
    unique_key=['trade_date'],
) }}

-- The market per trading day: the index against the equal-weighted average of its stocks.
with stocks as (
    select
        trade_date,
        count(*) as stock_count,
        avg(daily_return) as average_stock_return,
        sum(case when daily_return > 0 then 1 else 0 end) as advancing_count,
        sum(case when daily_return < 0 then 1 else 0 end) as declining_count,
        sum(traded_value) as total_traded_value
    from {{ ref('silver_daily_prices') }}
    where {{ data_interval_filter('trade_date') }}
    group by trade_date
)

select
    stocks.trade_date,
    index_days.index_level,
    index_days.daily_return as index_return,
    stocks.average_stock_return,
    stocks.stock_count,
    stocks.advancing_count,
    stocks.declining_count,
    stocks.total_traded_value
from stocks
left join {{ ref('silver_index_daily') }} as index_days
    on stocks.trade_date = index_days.trade_date
