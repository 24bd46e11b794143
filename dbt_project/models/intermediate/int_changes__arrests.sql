-- The arrests a key-incremental build rebuilds: those with a row in a delivery taken in
-- since the last complete build (a new version, or a month re-delivered), and those whose
-- rows came from a delivery no longer in force (replaced since by another version of its
-- month: its rows are gone from raw, so only the previous build still names them). Empty
-- when every arrest is rebuilt (macros/incremental.sql).
-- depends_on: {{ ref('stg_dq__deliveries') }}
{% set since = changes_since() %}
{% set previous = previous_build_of('int_arrests__versions') %}
{% if since is none %}
{{ no_changed_keys('arrest_id') }}
{% else %}
select distinct arrest_id
from {{ ref('stg_rms__arrest_versions') }}
where {{ from_deliveries_taken_in_since(since) }}
{% if previous is not none %}
union
select distinct arrest_id
from {{ previous }}
where {{ from_deliveries_no_longer_in_force() }}
{% endif %}
{% endif %}
