-- Every record counted towards a measure must land in a published category of every
-- breakdown (ref_breakdown_categories), or it would silently drop out of that breakdown
-- while still counting in `total`. Returns the offending (measure, breakdown, category).
{%- set breakdowns = ['sex', 'age_band', 'ethnicity_group', 'drug_class', 'offence_group'] %}

with contributions as (

    select * from {{ ref('int_measure_contributions__arrests') }}
    union all
    select * from {{ ref('int_measure_contributions__custody') }}
    union all
    select * from {{ ref('int_measure_contributions__contracts') }}
    union all
    select * from {{ ref('int_measure_contributions__stocks') }}

),

categories as (

    select breakdown, category from {{ ref('ref_breakdown_categories') }}

),

used as (
    {%- for breakdown in breakdowns %}
    select distinct measure, '{{ breakdown }}' as breakdown, {{ breakdown }} as category
    from contributions
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select used.*
from used
left join categories
    on used.breakdown = categories.breakdown
    and used.category = categories.category
where categories.category is null
