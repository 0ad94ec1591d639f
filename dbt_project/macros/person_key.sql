{#- The warehouse person key: RINPERSOONS || RINPERSOON (a pseudonym pair), NULL when masked. -#}
{% macro person_key(rinpersoons, rinpersoon) -%}
    case
        when nullif(trim({{ rinpersoon }}), '') is null or trim({{ rinpersoon }}) = '---------' then null
        else coalesce(nullif(trim({{ rinpersoons }}), '-'), 'R') || trim({{ rinpersoon }})
    end
{%- endmacro %}
