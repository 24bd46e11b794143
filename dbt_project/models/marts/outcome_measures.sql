-- The analysts' outcome measures (outcomes.md section 5): exact values with their 95%
-- intervals, numerators and denominators, in publication order.
select
    period,
    measure,
    breakdown,
    category,
    value,
    lower_95,
    upper_95,
    numerator,
    denominator
from {{ ref('outcome_measure_cells') }}
order by measure_order, period, breakdown_order, category_order
