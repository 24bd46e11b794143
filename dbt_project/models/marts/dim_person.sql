-- One row per person pseudonym seen on an arrest (current state). Pseudonyms are keyed
-- digests of the force's person_id; the key lives outside the warehouse.
select
    cast(person_pseudonym as varchar)           as person_pseudonym,
    cast(count(*) as integer)                   as arrest_count,
    cast(min(arrest_date) as date)              as first_arrest_date,
    cast(max(arrest_date) as date)              as latest_arrest_date
from {{ ref('int_arrests__current') }}
group by person_pseudonym
