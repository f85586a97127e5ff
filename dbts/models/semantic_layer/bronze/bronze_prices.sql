{{ config(
    materialized='incremental',
    incremental_strategy=interval_incremental_strategy(),
    unique_key=['symbol', 'trade_date'],
) }}

-- One row per stock and trading day of the run's data interval, typed and with a clean symbol.
select
    cast(trade_date as date) as trade_date,
    upper(trim(symbol)) as symbol,
    cast(open as {{ dbt.type_float() }}) as open_price,
    cast(high as {{ dbt.type_float() }}) as high_price,
    cast(low as {{ dbt.type_float() }}) as low_price,
    cast(close as {{ dbt.type_float() }}) as close_price,
    cast(volume as {{ dbt.type_bigint() }}) as volume
from {{ source('raw', 'prices') }}
where {{ data_interval_filter('trade_date') }}
