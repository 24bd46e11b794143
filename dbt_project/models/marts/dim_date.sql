-- One row per calendar day, covering whole months from the earliest to the latest date in
-- the data (arrests and their versions, custody, contracts including planned end dates,
-- sessions) and the measure grid's months. Contracts and sessions are read from their
-- chained tables (one row per contract and per session, the rows of staging): their staging
-- views rank every row of every workbook loaded, and each workbook repeats every contract,
-- so reading them again here cost more with every month of history.
with data_dates as (

    select arrest_date as d from {{ ref('stg_rms__arrest_versions') }}
    union all select updated_date from {{ ref('stg_rms__arrest_versions') }}
    union all select outcome_date from {{ ref('stg_rms__arrest_versions') }}
    union all select expunged_date from {{ ref('stg_rms__arrest_versions') }}
    union all select booked_in_date from {{ ref('stg_custody__custody_records') }}
    union all select start_date from {{ ref('int_contracts__chained') }}
    union all select planned_end_date from {{ ref('int_contracts__chained') }}
    union all select status_date from {{ ref('int_contracts__chained') }}
    union all select session_date from {{ ref('int_sessions__chained') }}
    union all select period_start from {{ ref('int_measure_months') }}
    union all select period_end from {{ ref('int_measure_months') }}

),

bounds as (

    select
        date_trunc('month', min(d)) as first_day,
        last_day(max(d))            as last_day
    from data_dates

),

days as (

    select cast(unnest(generate_series(first_day, last_day, interval 1 day)) as date) as date_day
    from bounds
    where first_day is not null

),

grid_months as (

    select period from {{ ref('int_measure_months') }}

)

select
    cast(days.date_day as date)                                     as date_day,
    cast({{ period_of('days.date_day') }} as varchar)               as period,
    cast(date_trunc('month', days.date_day) as date)                as month_start,
    cast(last_day(days.date_day) as date)                           as month_end,
    cast(year(days.date_day) as integer)                            as year,
    cast(month(days.date_day) as integer)                           as month_of_year,
    cast(day(days.date_day) as integer)                             as day_of_month,
    cast(isodow(days.date_day) as integer)                          as iso_day_of_week,
    cast(days.date_day = last_day(days.date_day) as boolean)        as is_month_end,
    cast(grid_months.period is not null as boolean)                 as is_in_measure_grid
from days
left join grid_months
    on {{ period_of('days.date_day') }} = grid_months.period
