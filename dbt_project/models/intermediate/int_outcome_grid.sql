-- The cells outcomes.md defines when P is the last grid month (int_measure_months): one row
-- per (period, measure, breakdown, category), with whether the sources it needs are there.
--   rolling rates, RRIs   periods from the grid's first month + 11 up to P; `[x]` when the
--                         source (custody) lacks an accepted delivery for any month of the
--                         window P−11 … P (programme is never missing)
--   cohort measures       cohort months C from the grid's first month up to
--                         P − follow_up_months; `[x]` when RMS lacks an accepted delivery
--                         for any month C … C + follow_up_months, or, for the declined
--                         cohort, custody lacks one for C
-- Categories: those of each listed breakdown (ref_breakdown_categories and
-- ref_outcome_breakdown_categories), less an RRI's reference group and `Not stated`.
with months as (

    select * from {{ ref('int_measure_months') }}

),

bounds as (

    select min(period_start) as first_start, max(period_start) as last_start
    from months

),

measures as (

    select * from {{ ref('ref_outcome_measures') }}

),

categories as (

    select breakdown, breakdown_order, category, category_order
    from {{ ref('ref_breakdown_categories') }}
    union all
    select breakdown, breakdown_order, category, category_order
    from {{ ref('ref_outcome_breakdown_categories') }}

),

measure_breakdowns as (

    select
        measures.measure,
        unnest(string_split(measures.breakdowns, ' ')) as breakdown
    from measures

),

measure_cells as (

    select
        measures.*,
        categories.breakdown,
        categories.breakdown_order,
        categories.category,
        categories.category_order
    from measures
    inner join measure_breakdowns
        on measures.measure = measure_breakdowns.measure
    inner join categories
        on measure_breakdowns.breakdown = categories.breakdown
    where not list_contains(
        string_split(coalesce(measures.left_out_categories, ''), '|'), categories.category
    )

),

periods as (

    -- the periods each measure is published for, with the first and last month whose
    -- deliveries it needs
    select
        measures.measure,
        months.period,
        months.period_start,
        case when measures.family in ('rolling', 'rri')
            then cast(months.period_start - to_months(measures.window_months - 1) as date)
            else months.period_start
        end                                                        as needs_from,
        cast(months.period_start + to_months(measures.follow_up_months) as date)
                                                                   as needs_until
    from measures
    cross join bounds
    inner join months
        on months.period_start >= cast(bounds.first_start + to_months(measures.window_months - 1) as date)
        and months.period_start <= cast(bounds.last_start - to_months(measures.follow_up_months) as date)

),

availability as (

    select
        periods.measure,
        periods.period,
        case
            when measures.source = 'programme' then true
            when measures.family in ('rolling', 'rri') and measures.source = 'custody'
                then bool_and(months.custody_available)
            when measures.family = 'diverted'
                then bool_and(months.rms_available)
            when measures.family = 'declined'
                then bool_and(months.rms_available)
                    and bool_or(months.custody_available and months.period_start = periods.period_start)
        end                                                        as source_available
    from periods
    inner join measures
        on periods.measure = measures.measure
    inner join months
        on months.period_start between periods.needs_from and periods.needs_until
    group by periods.measure, periods.period, periods.period_start, measures.source, measures.family

)

select
    periods.period,
    periods.period_start,
    periods.needs_from,
    measure_cells.measure,
    measure_cells.measure_order,
    measure_cells.unit,
    measure_cells.family,
    measure_cells.window_months,
    measure_cells.reference_category,
    measure_cells.breakdown,
    measure_cells.breakdown_order,
    measure_cells.category,
    measure_cells.category_order,
    availability.source_available
from periods
inner join availability
    on periods.measure = availability.measure
    and periods.period = availability.period
inner join measure_cells
    on periods.measure = measure_cells.measure
