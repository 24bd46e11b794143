-- Custody records with their arrest's current state: the breakdown attributes of a custody
-- record always come from its arrest (custody -> arrest_id). A record whose arrest is not
-- loaded yet cannot be described and is held back (is_chain_complete = false). Built for the
-- changed records only when it can be (macros/incremental.sql).
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail',
          pre_hook="{{ delete_changed_keys('custody_ref', ref('int_changes__custody_records')) }}") }}
-- depends_on: {{ ref('int_changes__custody_records') }}
with custody as (

    select * from {{ ref('stg_custody__custody_records') }}
    where {{ is_changed_key('custody_ref', ref('int_changes__custody_records')) }}

),

arrests as (

    select * from {{ ref('int_arrests__current') }}

)

select
    custody.custody_ref,
    custody.arrest_id,
    custody.custody_suite,
    custody.booked_in,
    custody.booked_in_date,
    custody.released,
    custody.gravity_score,
    custody.checkpoint_eligible,
    custody.ineligible_reason,
    custody.checkpoint_offered,
    custody.offer_response,
    custody.custody_disposal,
    arrests.arrest_id is not null         as arrest_found,
    arrests.arrest_id is not null         as is_chain_complete,
    arrests.person_pseudonym,
    arrests.sex,
    arrests.age_band,
    arrests.ethnicity_group,
    arrests.drug_class_category,
    arrests.offence_group,
    custody.source_month,
    custody.delivery_version,
    custody.file_name,
    custody.delivery_sha256
from custody
left join arrests
    on custody.arrest_id = arrests.arrest_id
