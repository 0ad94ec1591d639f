{#- No row links a person to themself. -#}
{% test no_self_link(model, from_column, to_column) %}
select * from {{ model }} where {{ from_column }} = {{ to_column }}
{% endtest %}
