{#-
  The select list of int_outcome_contributions: measure, period (the record's own month),
  record_key, the breakdown attributes under the breakdowns' names (sex, age_band,
  ethnicity_group, drug_class, contract_status), in_numerator and in_denominator. The
  relation selected from must expose sex, age_band, ethnicity_group and drug_class_category.
-#}
{% macro outcome_contribution(measure, period, record_key, in_numerator, in_denominator, contract_status='null') -%}
    cast({{ measure }} as varchar)              as measure,
    cast({{ period }} as varchar)               as period,
    cast({{ record_key }} as varchar)           as record_key,
    cast(sex as varchar)                        as sex,
    cast(age_band as varchar)                   as age_band,
    cast(ethnicity_group as varchar)            as ethnicity_group,
    cast(drug_class_category as varchar)        as drug_class,
    cast({{ contract_status }} as varchar)      as contract_status,
    cast({{ in_numerator }} as boolean)         as in_numerator,
    cast({{ in_denominator }} as boolean)       as in_denominator
{%- endmacro %}
