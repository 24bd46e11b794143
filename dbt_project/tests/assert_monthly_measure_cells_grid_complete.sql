-- The grid is complete: every grid month holds exactly the cells the seeds define
-- (counts × every category, rates × categories published for rates, the median × total).
-- Returns months whose cell count differs, or grid months missing from the table.
with expected_per_month as (

    select count(*) as n
    from {{ ref('ref_measures') }} as m
    inner join {{ ref('ref_breakdown_categories') }} as c
        on m.unit = 'count'
        or (m.unit = 'rate' and c.published_for_rates)
        or (m.unit = 'median' and c.breakdown = 'total')

),

actual as (

    select period, count(*) as n
    from {{ ref('monthly_measure_cells') }}
    group by period

)

select months.period, actual.n as actual_cells, expected_per_month.n as expected_cells
from {{ ref('int_measure_months') }} as months
cross join expected_per_month
left join actual
    on months.period = actual.period
where actual.n is distinct from expected_per_month.n
