{{ config(materialized='table') }}

select
    upper(trim(symbol)) as symbol,
    trim(name) as company_name,
    trim(sector) as sector
from {{ source('raw', 'companies') }}
