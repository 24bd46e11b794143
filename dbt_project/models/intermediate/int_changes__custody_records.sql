-- The custody records a key-incremental build rebuilds: those in a delivery taken in since
-- the last complete build, those whose arrest is rebuilt (a record takes its breakdown
-- attributes from its arrest's current state), and those whose rows came from a delivery
-- no longer in force (a `_vN` re-delivery replaced their month). Empty when every record is
-- rebuilt (macros/incremental.sql).
-- depends_on: {{ ref('stg_dq__deliveries') }}
{% set since = changes_since() %}
{% set previous = previous_build_of('int_custody_records__chained') %}
with changed_arrests as (

    select * from {{ ref('int_changes__arrests') }}

)

{% if since is none %}
{{ no_changed_keys('custody_ref') }}
{% else %}
select custody_ref
from {{ ref('stg_custody__custody_records') }}
where {{ from_deliveries_taken_in_since(since) }}
    or arrest_id in (select arrest_id from changed_arrests)
{% if previous is not none %}
union
select custody_ref
from {{ previous }}
where {{ from_deliveries_no_longer_in_force() }}
    or arrest_id in (select arrest_id from changed_arrests)
{% endif %}
{% endif %}
