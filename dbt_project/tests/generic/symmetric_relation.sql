{#- Every (from, to[, type]) row has its mirror (to, from[, type]): relations such as siblings and partners are symmetric. -#}
{% test symmetric_relation(model, from_column, to_column, type_column=none) %}
select forward.*
from {{ model }} as forward
left join {{ model }} as mirror
    on mirror.{{ from_column }} = forward.{{ to_column }}
   and mirror.{{ to_column }} = forward.{{ from_column }}
   {% if type_column %}and mirror.{{ type_column }} = forward.{{ type_column }}{% endif %}
where mirror.{{ from_column }} is null
{% endtest %}
