{{ config(
    materialized='incremental',
    incremental_strategy=interval_incremental_strategy(),
    unique_key=['trade_date', 'symbol'],
) }}

-- The five biggest gainers and losers of each trading day.
with ranked as (
    select
        trade_date,
        symbol,
        sector,
        daily_return,
        row_number() over (partition by trade_date order by daily_return desc, symbol) as gain_rank,
        row_number() over (partition by trade_date order by daily_return asc, symbol) as loss_rank
    from {{ ref('silver_daily_prices') }}
    where daily_return is not null
      and {{ data_interval_filter('trade_date') }}
)

select
    trade_date,
    symbol,
    sector,
    daily_return,
    case when gain_rank <= 5 then 'gainer' else 'loser' end as movement,
    case when gain_rank <= 5 then gain_rank else loss_rank end as movement_rank
from ranked
where gain_rank <= 5 or loss_rank <= 5
