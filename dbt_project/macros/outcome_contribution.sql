{#-
  The select list of int_outcome_contributions: the columns every contribution starts with
  (``contribution_columns``), then contract_status, in_numerator and in_denominator.
-#}
{% macro outcome_contribution(measure, period, record_key, in_numerator, in_denominator, contract_status='null') -%}
    {{ contribution_columns(measure, period, record_key) }},
    cast({{ contract_status }} as varchar)      as contract_status,
    cast({{ in_numerator }} as boolean)         as in_numerator,
    cast({{ in_denominator }} as boolean)       as in_denominator
{%- endmacro %}
