{{ config(materialized='table') }}

select
    companies.symbol,
    companies.company_name,
    companies.sector,
    sectors.sector_code
from {{ ref('bronze_companies') }} as companies
left join {{ ref('gics_sectors') }} as sectors
    on companies.sector = sectors.sector
