-- Each arrest's current state (its highest loaded record_version) with the attributes the
-- breakdowns and the scope rule need. age_at_arrest is computed at ingest, in whole years on
-- the arrest date, from the date_of_birth that never reaches the warehouse (29 February
-- birthdays gain a year on 1 March in a non-leap year). Built for the changed arrests only
-- when it can be (macros/incremental.sql).
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail',
          pre_hook="{{ delete_changed_keys('arrest_id', ref('int_changes__arrests')) }}") }}
-- depends_on: {{ ref('int_changes__arrests') }}
-- depends_on: {{ ref('int_changes__persons') }}, which reads this model's previous build
with versions as (

    select * from {{ ref('stg_rms__arrest_versions') }}
    where {{ is_changed_key('arrest_id', ref('int_changes__arrests')) }}

),

current_versions as (

    select *
    from versions
    qualify row_number() over (partition by arrest_id order by record_version desc) = 1

),

offence_codes as (

    select * from {{ ref('ref_offence_codes') }}

),

offence_scope as (

    select * from {{ ref('ref_offence_scope') }}

),

ethnicity_codes as (

    select * from {{ ref('ref_ethnicity_codes') }}

),

attributed as (

    select
        cv.*,
        oc.offence_code is not null                    as is_listed_offence,
        coalesce(oc.offence_group, 'other')            as offence_group,
        coalesce(cv.drug_class, 'none')                as drug_class_category,
        ec.ethnicity_group,
        case
            when cv.age_at_arrest < 18 then '0-17'
            when cv.age_at_arrest < 25 then '18-24'
            when cv.age_at_arrest < 35 then '25-34'
            when cv.age_at_arrest < 45 then '35-44'
            when cv.age_at_arrest < 55 then '45-54'
            when cv.age_at_arrest >= 55 then '55+'
        end                                            as age_band
    from current_versions as cv
    left join offence_codes as oc
        on cv.offence_code = oc.offence_code
    left join ethnicity_codes as ec
        on cv.ethnicity_code = ec.ethnicity_code

),

scoped as (

    select
        a.*,
        coalesce(
            sc.in_scope_from is not null
            and a.arrest_date >= sc.in_scope_from
            and (sc.in_scope_until is null or a.arrest_date <= sc.in_scope_until),
            false
        )                                              as is_offence_in_scope,
        a.age_at_arrest >= 18                          as is_adult
    from attributed as a
    left join offence_scope as sc
        on a.offence_group = sc.offence_group

)

select
    arrest_id,
    record_version,
    updated_at,
    person_pseudonym,
    force_code,
    arrest_datetime,
    arrest_date,
    age_at_arrest,
    age_band,
    sex,
    ethnicity_code,
    ethnicity_group,
    offence_code,
    is_listed_offence,
    offence_group,
    drug_class,
    drug_class_category,
    is_offence_in_scope,
    is_adult,
    is_offence_in_scope and is_adult                   as is_in_scope,
    station_code,
    outcome_code,
    outcome_date,
    record_status,
    expunged_date,
    source_month,
    delivery_version,
    file_name
from scoped
