{#- `date` plus `years` whole years, as a DATE (29 February -> 28 February in non-leap years). -#}
{% macro add_years(date, years) -%}
    cast({{ date }} + to_years(cast({{ years }} as integer)) as date)
{%- endmacro %}
