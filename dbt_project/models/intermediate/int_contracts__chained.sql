-- Contracts with the chain contract -> custody_ref -> custody -> arrest_id followed to the
-- arrest's current state, which gives the breakdown attributes. A contract whose custody
-- record is not loaded, or whose custody record's arrest is not loaded, is held back.
with contracts as (

    select * from {{ ref('stg_programme__contracts') }}

),

custody as (

    select * from {{ ref('int_custody_records__chained') }}

)

select
    contracts.contract_ref,
    contracts.custody_ref,
    custody.arrest_id,
    contracts.start_date,
    contracts.planned_end_date,
    contracts.status,
    contracts.status_date,
    contracts.failure_reason,
    custody.custody_ref is not null                    as custody_found,
    coalesce(custody.is_chain_complete, false)         as is_chain_complete,
    custody.person_pseudonym,
    custody.sex,
    custody.age_band,
    custody.ethnicity_group,
    custody.drug_class_category,
    custody.offence_group,
    contracts.source_month,
    contracts.delivery_version,
    contracts.file_name
from contracts
left join custody
    on contracts.custody_ref = custody.custody_ref
