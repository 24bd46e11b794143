-- One row per arrest, in its current state (highest loaded record_version). The person is
-- a keyed pseudonym; no direct identifier is ever loaded. Built for the changed arrests only
-- when it can be (macros/incremental.sql).
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail',
          pre_hook="{{ delete_changed_keys('arrest_id', ref('int_changes__arrests')) }}") }}
-- depends_on: {{ ref('int_changes__arrests') }}
select
    cast(arrest_id as varchar)                 as arrest_id,
    cast(record_version as integer)            as record_version,
    cast(updated_at as timestamp)              as updated_at,
    cast(person_pseudonym as varchar)          as person_pseudonym,
    cast(force_code as varchar)                as force_code,
    cast(station_code as varchar)              as station_code,
    cast(arrest_datetime as timestamp)         as arrest_datetime,
    cast(arrest_date as date)                  as arrest_date,
    cast({{ period_of('arrest_date') }} as varchar) as arrest_month,
    cast(age_at_arrest as integer)             as age_at_arrest,
    cast(age_band as varchar)                  as age_band,
    cast(sex as varchar)                       as sex,
    cast(ethnicity_code as varchar)            as ethnicity_code,
    cast(ethnicity_group as varchar)           as ethnicity_group,
    cast(offence_code as varchar)              as offence_code,
    cast(offence_group as varchar)             as offence_group,
    cast(drug_class as varchar)                as drug_class,
    cast(drug_class_category as varchar)       as drug_class_category,
    cast(is_offence_in_scope as boolean)       as is_offence_in_scope,
    cast(is_adult as boolean)                  as is_adult,
    cast(is_in_scope as boolean)               as is_in_scope,
    cast(outcome_code as varchar)              as outcome_code,
    cast(outcome_date as date)                 as outcome_date,
    cast(record_status as varchar)             as record_status,
    cast(expunged_date as date)                as expunged_date,
    cast(source_month as varchar)              as source_month,
    cast(delivery_version as integer)          as delivery_version,
    cast(file_name as varchar)                 as file_name
from {{ ref('int_arrests__current') }}
where {{ is_changed_key('arrest_id', ref('int_changes__arrests')) }}
