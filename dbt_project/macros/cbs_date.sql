{#- A CBS A8 'YYYYMMDD' string as a DATE; sentinels (dashes, open-end codes) become NULL. -#}
{% macro cbs_date(column) -%}
    try_cast(try_strptime(nullif(trim({{ column }}), ''), '%Y%m%d') as date)
{%- endmacro %}
