-- One row per custody record whose arrest is loaded (the others are held back and listed in
-- dq.orphan_references), with the Checkpoint decision and the arrest's breakdown attributes.
-- Built for the changed records only when it can be (macros/incremental.sql).
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail',
          pre_hook="{{ delete_changed_keys('custody_ref', ref('int_changes__custody_records')) }}") }}
-- depends_on: {{ ref('int_changes__custody_records') }}
select
    cast(custody_ref as varchar)                                as custody_ref,
    cast(arrest_id as varchar)                                  as arrest_id,
    cast(person_pseudonym as varchar)                           as person_pseudonym,
    cast(custody_suite as varchar)                              as custody_suite,
    cast(booked_in as timestamp)                                as booked_in,
    cast(booked_in_date as date)                                as booked_in_date,
    cast({{ period_of('booked_in_date') }} as varchar)          as booked_in_month,
    cast(released as timestamp)                                 as released,
    cast(gravity_score as integer)                              as gravity_score,
    cast(checkpoint_eligible = 'Y' as boolean)                  as is_eligible,
    cast(ineligible_reason as varchar)                          as ineligible_reason,
    cast(checkpoint_offered = 'Y' as boolean)                   as is_offered,
    cast(offer_response as varchar)                             as offer_response,
    cast(coalesce(offer_response = 'ACCEPTED', false) as boolean) as is_accepted,
    cast(custody_disposal as varchar)                           as custody_disposal,
    cast(sex as varchar)                                        as sex,
    cast(age_band as varchar)                                   as age_band,
    cast(ethnicity_group as varchar)                            as ethnicity_group,
    cast(drug_class_category as varchar)                        as drug_class_category,
    cast(offence_group as varchar)                              as offence_group,
    cast(source_month as varchar)                               as source_month,
    cast(delivery_version as integer)                           as delivery_version,
    cast(file_name as varchar)                                  as file_name
from {{ ref('int_custody_records__chained') }}
where is_chain_complete
    and {{ is_changed_key('custody_ref', ref('int_changes__custody_records')) }}
