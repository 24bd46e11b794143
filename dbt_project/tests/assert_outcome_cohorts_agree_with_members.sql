-- Every published cohort cell (total) agrees with the members of fct_contract_outcomes:
-- the cohort counts with the members of the cohort month, and each rate's numerator and
-- denominator with the members re-arrested / reoffended within its horizon. Two roads
-- from int_outcome_follow_up (the grid's pooling and aggregation, and the fact table's
-- pivot); returns the cells where they part.
with cells as (

    select cells.*, measures.family, measures.horizon_months, measures.outcome
    from {{ ref('outcome_measure_cells') }} as cells
    inner join {{ ref('ref_outcome_measures') }} as measures
        on cells.measure = measures.measure
    where measures.family in ('diverted', 'declined')
        and cells.breakdown = 'total'
        and cells.source_available

),

members as (

    select
        cohort,
        cohort_month,
        count(*)                                   as members,
        count_if(rearrested_12m)                   as rearrested_12,
        count_if(reoffended_12m)                   as reoffended_12,
        count_if(rearrested_24m)                   as rearrested_24,
        count_if(reoffended_24m)                   as reoffended_24
    from {{ ref('fct_contract_outcomes') }}
    group by cohort, cohort_month

),

compared as (

    select
        cells.period,
        cells.measure,
        case when cells.unit = 'count' then cells.value else cells.denominator end
                                                   as cell_members,
        cells.numerator                            as cell_numerator,
        coalesce(members.members, 0)               as members,
        case
            when cells.unit = 'count' then null
            when cells.outcome = 'rearrest' and cells.horizon_months = 12 then coalesce(members.rearrested_12, 0)
            when cells.outcome = 'reoffending' and cells.horizon_months = 12 then coalesce(members.reoffended_12, 0)
            when cells.outcome = 'rearrest' and cells.horizon_months = 24 then coalesce(members.rearrested_24, 0)
            when cells.outcome = 'reoffending' and cells.horizon_months = 24 then coalesce(members.reoffended_24, 0)
        end                                        as member_numerator
    from cells
    left join members
        on cells.family = members.cohort
        and cells.period = members.cohort_month

)

select *
from compared
where cell_members is distinct from members
    or cell_numerator is distinct from member_numerator
