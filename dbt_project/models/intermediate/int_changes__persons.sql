-- The people whose dim_person row a key-incremental build rebuilds: everyone a changed arrest
-- (int_changes__arrests) names, in a version of it loaded now or in its row of the previous
-- build of int_arrests__current (an arrest whose versions now name another person leaves the
-- first person's counts). Empty when every person is rebuilt (macros/incremental.sql).
-- int_arrests__current is built after this model (it depends on it), so "previous" is the
-- build before this one.
{% set since = changes_since() %}
{% set previous = previous_build_of('int_arrests__current') %}
with changed_arrests as (

    select arrest_id from {{ ref('int_changes__arrests') }}

)

{% if since is none %}
{{ no_changed_keys('person_pseudonym') }}
{% else %}
select person_pseudonym
from {{ ref('stg_rms__arrest_versions') }}
where arrest_id in (select arrest_id from changed_arrests)
{% if previous is not none %}
union
select person_pseudonym
from {{ previous }}
where arrest_id in (select arrest_id from changed_arrests)
{% endif %}
{% endif %}
