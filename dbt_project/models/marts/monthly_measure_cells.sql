{#-
  The complete grid of monthly measures, exact and unrounded, with what a publication needs
  beside each value (numerator, denominator, n_values, source availability, cohort activity,
  sort orders). Rebuilt whole each run, on purpose: see the model's description.
-#}
{%- set breakdowns = ['sex', 'age_band', 'ethnicity_group', 'drug_class', 'offence_group'] -%}

with grid as (

    select * from {{ ref('int_measure_grid') }}

),

contributions as (

    select * from {{ ref('int_measure_contributions__arrests') }}
    union all
    select * from {{ ref('int_measure_contributions__custody') }}
    union all
    select * from {{ ref('int_measure_contributions__contracts') }}
    union all
    select * from {{ ref('int_measure_contributions__stocks') }}

),

-- each contribution counts once in `total` and once in its category of every breakdown
by_breakdown as (

    select
        period, measure, 'total' as breakdown, 'all' as category,
        in_numerator, in_denominator, measure_value, is_active
    from contributions
    {%- for breakdown in breakdowns %}

    union all

    select
        period, measure, '{{ breakdown }}' as breakdown, {{ breakdown }} as category,
        in_numerator, in_denominator, measure_value, is_active
    from contributions
    {%- endfor %}

),

aggregated as (

    select
        period,
        measure,
        breakdown,
        category,
        count_if(in_numerator)                         as numerator,
        count_if(in_denominator)                       as denominator,
        quantile_cont(measure_value, 0.5)              as median_value,
        count(measure_value)                           as n_values,
        bool_or(is_active)                             as has_active
    from by_breakdown
    group by period, measure, breakdown, category

)

select
    cast(grid.period as varchar)                                        as period,
    cast(grid.measure as varchar)                                       as measure,
    cast(grid.breakdown as varchar)                                     as breakdown,
    cast(grid.category as varchar)                                      as category,
    cast(case
        when not grid.source_available then null
        when grid.unit = 'count' then coalesce(aggregated.numerator, 0)
        when grid.unit = 'rate' and coalesce(aggregated.denominator, 0) > 0
            then 100.0 * aggregated.numerator / aggregated.denominator
        when grid.unit = 'median' then aggregated.median_value
    end as double)                                                      as value,
    cast(case
        when not grid.source_available or grid.unit = 'median' then null
        else coalesce(aggregated.numerator, 0)
    end as double)                                                      as numerator,
    cast(case
        when grid.source_available and grid.unit = 'rate'
            then coalesce(aggregated.denominator, 0)
    end as double)                                                      as denominator,
    cast(case
        when grid.source_available and grid.unit = 'median'
            then coalesce(aggregated.n_values, 0)
    end as integer)                                                     as n_values,
    cast(grid.source_available as boolean)                              as source_available,
    cast(case
        when grid.measure = 'cohort_completion_rate' and grid.source_available
            then coalesce(aggregated.has_active, false)
    end as boolean)                                                     as cohort_has_active,
    cast(grid.measure_order as integer)                                 as measure_order,
    cast(grid.breakdown_order as integer)                               as breakdown_order,
    cast(grid.category_order as integer)                                as category_order
from grid
left join aggregated
    on grid.period = aggregated.period
    and grid.measure = aggregated.measure
    and grid.breakdown = aggregated.breakdown
    and grid.category = aggregated.category
order by period, measure_order, breakdown_order, category_order
