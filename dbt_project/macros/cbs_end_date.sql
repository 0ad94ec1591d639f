{#- A spell end date: open-end sentinels (88888888, 99991231, ...) and the version's coverage end
    are returned as NULL (= still running); other values as DATE. `coverage_end` is a SQL date
    expression or none. -#}
{% macro cbs_end_date(column, coverage_end=none) -%}
    case
        when trim({{ column }}) in ('88888888', '88881231', '99991231', '20501231') then null
        {%- if coverage_end is not none %}
        when {{ cbs_date(column) }} >= {{ coverage_end }} then null
        {%- endif %}
        else {{ cbs_date(column) }}
    end
{%- endmacro %}
