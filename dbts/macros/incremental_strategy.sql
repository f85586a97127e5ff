{#
  Rerunning a data interval must replace its rows, not add them again: delete+insert on Trino and
  Postgres; Dremio's adapter offers merge instead.
#}
{% macro interval_incremental_strategy() -%}
  {{ return('merge' if target.type == 'dremio' else 'delete+insert') }}
{%- endmacro %}
