{#-
  The outcome measures of outcomes.md with everything a publication needs: exact values,
  95% intervals (macros/confidence_intervals.sql), numerators and denominators, an RRI's
  reference-group counts, source availability and sort orders. Rebuilt whole each run, as
  monthly_measure_cells is and for the same reasons.
-#}
{%- set breakdowns = ['sex', 'age_band', 'ethnicity_group', 'drug_class', 'contract_status'] -%}

with grid as (

    select * from {{ ref('int_outcome_grid') }}

),

contributions as (

    select * from {{ ref('int_outcome_contributions') }}

),

windows as (

    -- each published (measure, period) with the months it pools
    select distinct measure, period, period_start, needs_from
    from grid

),

by_breakdown as (

    select measure, period, 'total' as breakdown, 'all' as category, in_numerator, in_denominator
    from contributions
    {%- for breakdown in breakdowns %}

    union all

    select measure, period, '{{ breakdown }}' as breakdown, {{ breakdown }} as category,
        in_numerator, in_denominator
    from contributions
    where {{ breakdown }} is not null
    {%- endfor %}

),

monthly as (

    -- each month's counts, by a record's own month
    select
        measure,
        period                      as month,
        breakdown,
        category,
        count_if(in_numerator)      as numerator,
        count_if(in_denominator)    as denominator
    from by_breakdown
    group by measure, period, breakdown, category

),

aggregated as (

    -- a record counts in every published period whose window holds its own month, so a
    -- period's counts are the sums of its window's months (counted once per month, not
    -- once per record and period: a pooled window multiplied every record by its length)
    select
        windows.period,
        monthly.measure,
        monthly.breakdown,
        monthly.category,
        cast(sum(monthly.numerator) as bigint)      as numerator,
        cast(sum(monthly.denominator) as bigint)    as denominator
    from monthly
    inner join windows
        on monthly.measure = windows.measure
        and cast(monthly.month || '-01' as date) between windows.needs_from and windows.period_start
    group by windows.period, monthly.measure, monthly.breakdown, monthly.category

),

counted as (

    select
        grid.*,
        coalesce(own.numerator, 0)              as x,
        coalesce(own.denominator, 0)            as n,
        coalesce(reference.numerator, 0)        as c,
        coalesce(reference.denominator, 0)      as m
    from grid
    left join aggregated as own
        on grid.period = own.period
        and grid.measure = own.measure
        and grid.breakdown = own.breakdown
        and grid.category = own.category
    left join aggregated as reference
        on grid.unit = 'rri'
        and grid.period = reference.period
        and grid.measure = reference.measure
        and grid.breakdown = reference.breakdown
        and grid.reference_category = reference.category

)

select
    cast(period as varchar)                                             as period,
    cast(measure as varchar)                                            as measure,
    cast(breakdown as varchar)                                          as breakdown,
    cast(category as varchar)                                           as category,
    cast(case
        when not source_available then null
        when unit = 'count' then n
        when unit = 'rate' and n > 0 then 100.0 * x / n
        when unit = 'rri' then {{ relative_rate_index('x', 'n', 'c', 'm') }}
    end as double)                                                      as value,
    cast(case
        when not source_available then null
        when unit = 'rate' then {{ wilson_bound('x', 'n', 'lower') }}
        when unit = 'rri' then {{ relative_rate_index_bound('x', 'n', 'c', 'm', 'lower') }}
    end as double)                                                      as lower_95,
    cast(case
        when not source_available then null
        when unit = 'rate' then {{ wilson_bound('x', 'n', 'upper') }}
        when unit = 'rri' then {{ relative_rate_index_bound('x', 'n', 'c', 'm', 'upper') }}
    end as double)                                                      as upper_95,
    cast(case when source_available and unit <> 'count' then x end as bigint)   as numerator,
    cast(case when source_available and unit <> 'count' then n end as bigint)   as denominator,
    cast(case when source_available and unit = 'rri' then c end as bigint)      as reference_numerator,
    cast(case when source_available and unit = 'rri' then m end as bigint)      as reference_denominator,
    cast(source_available as boolean)                                   as source_available,
    cast(unit as varchar)                                               as unit,
    cast(measure_order as integer)                                      as measure_order,
    cast(breakdown_order as integer)                                    as breakdown_order,
    cast(category_order as integer)                                     as category_order
from counted
order by measure_order, period, breakdown_order, category_order
