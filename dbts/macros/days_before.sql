{#
  The date `days` days before a date column, as an expression in the target's SQL (dbt's dateadd
  is a subquery on Dremio, so it cannot stand inside a comparison).
#}
{% macro days_before(column, days) -%}
  {%- if target.type == 'trino' -%}
    date_add('day', -{{ days }}, {{ column }})
  {%- elif target.type == 'dremio' -%}
    date_sub({{ column }}, {{ days }})
  {%- else -%}
    ({{ column }} - {{ days }})
  {%- endif -%}
{%- endmacro %}
