{#-
    Aggregate a person-level attribute over relatives, in SQL, like netCBS does for network files.

    relations        list of relation names of int_kinship_edges (e.g. ['mother', 'father'])
    relative_values  SQL returning (person_id, value) for the relatives that qualify
                     (e.g. persons with >= 1 OM case 2001-2021 and their number of cases)
    at_date          optional SQL date: only edges valid on that date
    period_start/end optional SQL dates: only edges overlapping [start, end]

    Returns one row per person with >= 1 qualifying relative:
    person_id, n_relatives, max_value, sum_value.
-#}
{% macro aggregate_over_relatives(relations, relative_values, at_date=none, period_start=none, period_end=none) %}
    select
        kinship_edges.person_id,
        count(distinct kinship_edges.relative_id) as n_relatives,
        max(relative_values.value) as max_value,
        sum(relative_values.value) as sum_value
    from {{ ref('int_kinship_edges') }} as kinship_edges
    inner join ({{ relative_values }}) as relative_values
        on relative_values.person_id = kinship_edges.relative_id
    where kinship_edges.relation in ({% for relation in relations %}'{{ relation }}'{% if not loop.last %}, {% endif %}{% endfor %})
    {%- if at_date is not none %}
      and coalesce(kinship_edges.valid_from, date '0001-01-01') <= {{ at_date }}
      and coalesce(kinship_edges.valid_to, date '9999-12-31') >= {{ at_date }}
    {%- endif %}
    {%- if period_start is not none %}
      and coalesce(kinship_edges.valid_to, date '9999-12-31') >= {{ period_start }}
      and coalesce(kinship_edges.valid_from, date '0001-01-01') <= {{ period_end }}
    {%- endif %}
    group by kinship_edges.person_id
{% endmacro %}
