-- The contracts whose sessions a key-incremental build rebuilds (all of each one's
-- sessions): those with a session row in a delivery taken in since the last complete build
-- (a new or late workbook, whose rows may now be a session's latest), those whose sessions
-- came from a delivery no longer in force (a `_vN` workbook replaced their month), and those
-- whose chain reads differently now (the contract, its custody record or its arrest was
-- loaded, withdrawn or changed). Empty when every session is rebuilt (macros/incremental.sql).
-- depends_on: {{ ref('stg_dq__deliveries') }}, {{ ref('int_contracts__chained') }}
{% set since = changes_since() %}
{% set previous = previous_build_of('int_sessions__chained') %}
{% if since is none %}
{{ no_changed_keys('contract_ref') }}
{% else %}
select cast(contract_ref as varchar) as contract_ref
from {{ source('raw', 'programme_sessions') }}
where {{ from_deliveries_taken_in_since(since) }}
{% if previous is not none %}
union
select contract_ref
from {{ previous }}
where {{ from_deliveries_no_longer_in_force() }}
union
-- The chain as the previous build followed it, against the contracts as built now.
select previous_chain.contract_ref
from (
    select distinct contract_ref, custody_ref, arrest_id, contract_found, is_chain_complete
    from {{ previous }}
) as previous_chain
left join {{ ref('int_contracts__chained') }} as contracts
    on previous_chain.contract_ref = contracts.contract_ref
where previous_chain.custody_ref is distinct from contracts.custody_ref
    or previous_chain.arrest_id is distinct from contracts.arrest_id
    or previous_chain.contract_found <> (contracts.contract_ref is not null)
    or previous_chain.is_chain_complete <> coalesce(contracts.is_chain_complete, false)
{% endif %}
{% endif %}
