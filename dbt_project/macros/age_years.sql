{#- Completed years of age on date `at` for a person born on `birth` (SPEC D01). -#}
{% macro age_years(birth, at) -%}
    (year({{ at }}) - year({{ birth }}) - case when strftime({{ at }}, '%m%d') < strftime({{ birth }}, '%m%d') then 1 else 0 end)
{%- endmacro %}
