-- The months of the measure grid, with whether each source is available for each month.
-- Months run from the earliest month of any delivery that was accepted (header-only ones
-- included; a superseded delivery was accepted once) to the latest such month. A source is
-- available for P when dq.deliveries holds an `accepted` row for that source and month P: a
-- month whose every version was rejected, or that never arrived, has no value ([x]).
-- Programme measures are never missing: every workbook carries the whole contract snapshot.
with deliveries as (

    select * from {{ ref('stg_dq__deliveries') }}

),

bounds as (

    select
        min(month) as first_month,
        max(month) as last_month
    from deliveries
    where status in ('accepted', 'superseded')
        and month is not null

),

months as (

    select
        cast(unnest(generate_series(
            cast(first_month || '-01' as date),
            cast(last_month || '-01' as date),
            interval 1 month
        )) as date) as period_start
    from bounds
    where first_month is not null

),

availability as (

    select
        month,
        bool_or(source = 'rms')        as rms_available,
        bool_or(source = 'custody')    as custody_available
    from deliveries
    where status = 'accepted'
    group by month

)

select
    {{ period_of('months.period_start') }}             as period,
    months.period_start,
    last_day(months.period_start)                      as period_end,
    coalesce(availability.rms_available, false)        as rms_available,
    coalesce(availability.custody_available, false)    as custody_available,
    true                                               as programme_available
from months
left join availability
    on {{ period_of('months.period_start') }} = availability.month
