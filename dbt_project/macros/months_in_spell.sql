{#- The first days of the calendar months that fall inside the spell [start_date, end_date], clipped to
    [first_month, last_month], as one unnested DATE column: a spell row becomes one row per month whose
    1st lies in the spell (the monthly state is the state on the 1st). Use in a SELECT list. -#}
{% macro months_in_spell(start_date, end_date, first_month, last_month) -%}
    cast(unnest(generate_series(
        greatest(date_trunc('month', {{ start_date }} - 1) + interval 1 month, {{ first_month }}),
        least(date_trunc('month', {{ end_date }}), {{ last_month }}),
        interval 1 month
    )) as date)
{%- endmacro %}
