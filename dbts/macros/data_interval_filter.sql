{#
  The condition that keeps the rows of the run's data interval, [start, end), on a date column.
  Sluice passes data_interval_start_date and data_interval_end_date as yyyy-MM-dd in the DAG's time
  zone. lookback_days widens the start for window functions that need earlier rows (such as the
  previous close); the caller filters those out again with data_interval_filter(column).
  Without the vars (a plain dbt build) and on --full-refresh, every row qualifies.
#}
{% macro data_interval_filter(column, lookback_days=0) -%}
  {%- set start = var('data_interval_start_date') -%}
  {%- set end = var('data_interval_end_date') -%}
  {%- if start is none or end is none or flags.FULL_REFRESH -%}
    1 = 1
  {%- else -%}
    {%- set first_day = modules.datetime.date.fromisoformat(start) - modules.datetime.timedelta(days=lookback_days) -%}
    {{ column }} >= date '{{ first_day.isoformat() }}' and {{ column }} < date '{{ end }}'
  {%- endif -%}
{%- endmacro %}
