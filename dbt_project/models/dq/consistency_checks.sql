-- Sameness checks between the sources, per grid month (after Recidiviz's sameness checks):
--   checkpoint_disposals_vs_diversions_started
--       custody records booked in P with custody_disposal = CHECKPOINT (left) against
--       contracts with start_date in P (right); compared when custody is available for P
--   contracts_completed_vs_arrests_outcome_22
--       contracts COMPLETED with status_date in P (left) against arrests whose current
--       outcome is 22 with outcome_date in P (right); compared when RMS is available for P
--   arrests_expunged_vs_contracts_completed
--       arrests EXPUNGED with expunged_date in P (left) against those of them that a
--       COMPLETED contract leads to (right): an expungement the programme cannot explain
--       (a completion missing from the workbook, or a broken chain) shows as a difference;
--       compared when RMS is available for P
-- Every loaded row counts, whether or not its chain is complete: the checks compare what
-- the sources delivered (broken chains are reported in dq.orphan_references).
-- relative_difference = |left - right| / max(left, right), 0 when both are 0; a check
-- passes when it is within its tolerance. Tolerances and severities are dbt vars.
{#- (check_name, var prefix, month availability column, left CTE, right CTE) -#}
{%- set checks = [
    ('checkpoint_disposals_vs_diversions_started', 'consistency_disposals_vs_starts',
        'custody_available', 'checkpoint_disposals', 'diversions_started'),
    ('contracts_completed_vs_arrests_outcome_22', 'consistency_completed_vs_outcome_22',
        'rms_available', 'contracts_completed', 'arrests_outcome_22'),
    ('arrests_expunged_vs_contracts_completed', 'consistency_expunged_vs_completed',
        'rms_available', 'arrests_expunged', 'arrests_expunged_with_completed_contract'),
] %}

with months as (

    select * from {{ ref('int_measure_months') }}

),

custody as (

    select * from {{ ref('int_custody_records__chained') }}

),

contracts as (

    select * from {{ ref('int_contracts__chained') }}

),

arrests as (

    select * from {{ ref('int_arrests__current') }}

),

checkpoint_disposals as (

    select {{ period_of('booked_in_date') }} as period, count(*) as n
    from custody
    where custody_disposal = 'CHECKPOINT'
    group by 1

),

diversions_started as (

    select {{ period_of('start_date') }} as period, count(*) as n
    from contracts
    group by 1

),

contracts_completed as (

    select {{ period_of('status_date') }} as period, count(*) as n
    from contracts
    where status = 'COMPLETED'
    group by 1

),

arrests_outcome_22 as (

    select {{ period_of('outcome_date') }} as period, count(*) as n
    from arrests
    where outcome_code = '22'
    group by 1

),

arrests_expunged as (

    select {{ period_of('expunged_date') }} as period, count(*) as n
    from arrests
    where record_status = 'EXPUNGED'
    group by 1

),

arrests_expunged_with_completed_contract as (

    select {{ period_of('arrests.expunged_date') }} as period, count(*) as n
    from arrests
    where arrests.record_status = 'EXPUNGED'
        and arrests.arrest_id in (
            select arrest_id from contracts where status = 'COMPLETED'
        )
    group by 1

),

pairs as (
    {%- for name, var_prefix, available, left_cte, right_cte in checks %}

    select
        '{{ name }}' as check_name,
        months.period,
        coalesce(l.n, 0) as left_value,
        coalesce(r.n, 0) as right_value,
        cast({{ var(var_prefix ~ '_tolerance') }} as double) as tolerance,
        '{{ var(var_prefix ~ '_severity') }}' as severity
    from months
    left join {{ left_cte }} as l on months.period = l.period
    left join {{ right_cte }} as r on months.period = r.period
    where months.{{ available }}
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}

),

measured as (

    select
        check_name,
        period,
        left_value,
        right_value,
        left_value - right_value as difference,
        case
            when greatest(left_value, right_value) = 0 then 0.0
            else abs(left_value - right_value) / greatest(left_value, right_value)
        end as relative_difference,
        tolerance,
        severity
    from pairs

)

select
    cast(check_name as varchar)                        as check_name,
    cast(period as varchar)                            as period,
    cast(left_value as bigint)                         as left_value,
    cast(right_value as bigint)                        as right_value,
    cast(difference as bigint)                         as difference,
    cast(relative_difference as double)                as relative_difference,
    cast(tolerance as double)                          as tolerance,
    cast(severity as varchar)                          as severity,
    cast(relative_difference <= tolerance as boolean)  as passed
from measured
order by check_name, period
