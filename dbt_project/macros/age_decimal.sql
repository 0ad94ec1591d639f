{#- Decimal age on date `at`: days since birth / 365.25 (SPEC D01). -#}
{% macro age_decimal(birth, at) -%}
    (datediff('day', {{ birth }}, {{ at }}) / 365.25)
{%- endmacro %}
