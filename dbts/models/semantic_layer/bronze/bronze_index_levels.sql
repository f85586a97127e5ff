{{ config(
    materialized='incremental',
    incremental_strategy=interval_incremental_strategy(),
    unique_key=['trade_date'],
) }}

select
    cast(trade_date as date) as trade_date,
    cast(level as {{ dbt.type_float() }}) as index_level
from {{ source('raw', 'index_levels') }}
where {{ data_interval_filter('trade_date') }}
