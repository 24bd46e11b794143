-- One row per person pseudonym seen on an arrest (current state). Pseudonyms are keyed
-- digests of the force's person_id; the key lives outside the warehouse. Built for the people
-- of the changed arrests only when it can be (macros/incremental.sql), each from all of their
-- arrests.
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail',
          pre_hook="{{ delete_changed_keys('person_pseudonym', ref('int_changes__persons')) }}") }}
-- depends_on: {{ ref('int_changes__persons') }}
select
    cast(person_pseudonym as varchar)           as person_pseudonym,
    cast(count(*) as integer)                   as arrest_count,
    cast(min(arrest_date) as date)              as first_arrest_date,
    cast(max(arrest_date) as date)              as latest_arrest_date
from {{ ref('int_arrests__current') }}
where {{ is_changed_key('person_pseudonym', ref('int_changes__persons')) }}
group by person_pseudonym
