-- The complete grid of the methodology: one row per (period, measure, breakdown, category)
-- that is published. Counts go out for every breakdown, rates only for the breakdowns
-- whose `published_for_rates` is true, the median for `total` only.
with months as (

    select * from {{ ref('int_measure_months') }}

),

measures as (

    select * from {{ ref('ref_measures') }}

),

categories as (

    select * from {{ ref('ref_breakdown_categories') }}

),

cells as (

    select
        measures.measure,
        measures.measure_order,
        measures.unit,
        measures.source,
        categories.breakdown,
        categories.breakdown_order,
        categories.category,
        categories.category_order
    from measures
    inner join categories
        on measures.unit = 'count'
        or (measures.unit = 'rate' and categories.published_for_rates)
        or (measures.unit = 'median' and categories.breakdown = 'total')

)

select
    months.period,
    months.period_start,
    months.period_end,
    cells.measure,
    cells.measure_order,
    cells.unit,
    cells.source,
    cells.breakdown,
    cells.breakdown_order,
    cells.category,
    cells.category_order,
    case cells.source
        when 'rms' then months.rms_available
        when 'custody' then months.custody_available
        when 'programme' then months.programme_available
    end                                                as source_available
from months
cross join cells
