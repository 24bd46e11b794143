{#-
  The columns every contribution row starts with, monthly measures and outcomes alike: the
  measure, the period, the counted record's key and the four breakdown attributes both
  kinds publish, under the breakdowns' own names. The relation selected from must expose
  sex, age_band, ethnicity_group and drug_class_category.
-#}
{% macro contribution_columns(measure_sql, period, record_key) -%}
    cast({{ measure_sql }} as varchar)          as measure,
    cast({{ period }} as varchar)               as period,
    cast({{ record_key }} as varchar)           as record_key,
    cast(sex as varchar)                        as sex,
    cast(age_band as varchar)                   as age_band,
    cast(ethnicity_group as varchar)            as ethnicity_group,
    cast(drug_class_category as varchar)        as drug_class
{%- endmacro %}

{#-
  The select list shared by the int_measure_contributions__* models: one row per
  (measure, period, counted record), carrying the five breakdown attributes under the
  breakdown's own names so that monthly_measure_cells can unpivot them generically.
  The relation selected from must also expose offence_group (the arrest's current state).
-#}
{% macro measure_contribution(measure, period, record_key, in_numerator='true', in_denominator='null', measure_value='null', is_active='null') -%}
    {{ contribution_columns("'" ~ measure ~ "'", period, record_key) }},
    cast(offence_group as varchar)              as offence_group,
    cast({{ in_numerator }} as boolean)         as in_numerator,
    cast({{ in_denominator }} as boolean)       as in_denominator,
    cast({{ measure_value }} as double)         as measure_value,
    cast({{ is_active }} as boolean)            as is_active
{%- endmacro %}
