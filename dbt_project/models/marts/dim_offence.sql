-- One row per offence code: every listed code (ref_offence_codes) and every other code seen
-- on a loaded arrest version (group `other`, never in scope), with the group's scope dates.
with listed as (

    select * from {{ ref('ref_offence_codes') }}

),

scope as (

    select * from {{ ref('ref_offence_scope') }}

),

seen_unlisted as (

    select distinct offence_code
    from {{ ref('stg_rms__arrest_versions') }}
    where offence_code not in (select offence_code from listed)

),

offences as (

    select
        offence_code,
        description,
        offence_group,
        is_drug_offence,
        true as is_listed
    from listed

    union all

    select
        offence_code,
        null as description,
        'other' as offence_group,
        null as is_drug_offence,
        false as is_listed
    from seen_unlisted

)

select
    cast(offences.offence_code as varchar)      as offence_code,
    cast(offences.description as varchar)       as description,
    cast(offences.offence_group as varchar)     as offence_group,
    cast(offences.is_drug_offence as boolean)   as is_drug_offence,
    cast(offences.is_listed as boolean)         as is_listed,
    cast(scope.in_scope_from as date)           as in_scope_from,
    cast(scope.in_scope_until as date)          as in_scope_until
from offences
left join scope
    on offences.offence_group = scope.offence_group
