-- One row per loaded arrest record version, typed once. The raw table only holds rows of
-- deliveries in force, and a record version never changes once written, so
-- (arrest_id, record_version) is unique.
with source as (

    select * from {{ source('raw', 'rms_arrests') }}

)

select
    cast(arrest_id as varchar)              as arrest_id,
    cast(record_version as integer)         as record_version,
    cast(updated_at as timestamp)           as updated_at,
    cast(updated_at as date)                as updated_date,
    cast(force_code as varchar)             as force_code,
    cast(person_pseudonym as varchar)       as person_pseudonym,
    cast(age_at_arrest as integer)          as age_at_arrest,
    cast(sex as varchar)                    as sex,
    cast(ethnicity_code as varchar)         as ethnicity_code,
    cast(arrest_datetime as timestamp)      as arrest_datetime,
    cast(arrest_datetime as date)           as arrest_date,
    cast(offence_code as varchar)           as offence_code,
    cast(drug_class as varchar)             as drug_class,
    cast(station_code as varchar)           as station_code,
    cast(outcome_code as varchar)           as outcome_code,
    cast(outcome_date as date)              as outcome_date,
    cast(record_status as varchar)          as record_status,
    cast(expunged_date as date)             as expunged_date,
    cast(delivery_sha256 as varchar)        as delivery_sha256,
    cast(source_month as varchar)           as source_month,
    cast(delivery_version as integer)       as delivery_version,
    cast(file_name as varchar)              as file_name,
    cast("row_number" as integer)           as source_row_number
from source
