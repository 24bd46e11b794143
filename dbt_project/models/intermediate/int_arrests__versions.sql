-- Version history of each arrest with the dates each version is the arrest's state "as at".
-- As at date D an arrest is its highest loaded version whose updated_at date is on or before
-- D. So version v is in force for D in [valid_from, valid_to): from its own updated date
-- until the earliest updated date of any higher version (versions need not be consecutive,
-- and two versions written the same day leave the lower one never in force). Built for the
-- changed arrests only when it can be (macros/incremental.sql).
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail',
          pre_hook="{{ delete_changed_keys('arrest_id', ref('int_changes__arrests')) }}") }}
-- depends_on: {{ ref('int_changes__arrests') }}
with versions as (

    select * from {{ ref('stg_rms__arrest_versions') }}
    where {{ is_changed_key('arrest_id', ref('int_changes__arrests')) }}

),

windowed as (

    select
        versions.*,
        min(updated_date) over (
            partition by arrest_id
            order by record_version desc
            rows between unbounded preceding and 1 preceding
        ) as next_valid_from,
        max(record_version) over (partition by arrest_id) as current_record_version
    from versions

)

select
    arrest_id,
    record_version,
    updated_at,
    updated_date                                       as valid_from,
    next_valid_from                                    as valid_to,
    next_valid_from is null or next_valid_from > updated_date
                                                       as is_ever_in_force,
    record_version = current_record_version            as is_current,
    record_status,
    expunged_date,
    outcome_code,
    outcome_date,
    source_month,
    delivery_version,
    file_name,
    delivery_sha256
from windowed
