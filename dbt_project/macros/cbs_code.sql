{#- A CBS string code trimmed, with declared 'unknown' sentinels turned into NULL. -#}
{% macro cbs_code(column, sentinels=['', '-', '--', '----']) -%}
    case when trim({{ column }}) in ({% for s in sentinels %}'{{ s }}'{% if not loop.last %}, {% endif %}{% endfor %}) then null
         else trim({{ column }}) end
{%- endmacro %}
