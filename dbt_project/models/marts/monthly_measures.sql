-- The analysts' monthly measures (publication.md): the complete grid's values, exact and
-- unrounded, NULL where the methodology gives no value, in publication order.
select
    period,
    measure,
    breakdown,
    category,
    value
from {{ ref('monthly_measure_cells') }}
order by period, measure_order, breakdown_order, category_order
