{{ config(
    materialized='incremental',
    incremental_strategy=interval_incremental_strategy(),
    unique_key=['sector', 'trade_date'],
) }}

-- Sector performance per trading day: equal-weighted average return, breadth and turnover.
select
    trade_date,
    sector,
    count(*) as stock_count,
    avg(daily_return) as average_return,
    sum(case when daily_return > 0 then 1 else 0 end) as advancing_count,
    sum(case when daily_return < 0 then 1 else 0 end) as declining_count,
    sum(volume) as total_volume,
    sum(traded_value) as total_traded_value
from {{ ref('silver_daily_prices') }}
where {{ data_interval_filter('trade_date') }}
group by trade_date, sector
