{{ config(
    materialized='incremental',
    incremental_strategy=interval_incremental_strategy(),
    unique_key=['trade_date'],
) }}

with recent as (
    select
        trade_date,
        index_level,
        case
            when lag(trade_date) over (order by trade_date) >= {{ days_before('trade_date', 10) }}
                then lag(index_level) over (order by trade_date)
        end as previous_index_level
    from {{ ref('bronze_index_levels') }}
    where {{ data_interval_filter('trade_date', lookback_days=10) }}
)

select
    trade_date,
    index_level,
    previous_index_level,
    case when previous_index_level > 0 then index_level / previous_index_level - 1 end as daily_return
from recent
where {{ data_interval_filter('trade_date') }}
