-- Loaded rows whose reference points at a key not loaded (yet): kept in raw, held out of
-- every measure and fact, reported here while they wait (source-extracts.md, "a reference
-- to a key not yet seen"). One row per waiting row and missing reference, one branch per
-- contract table's `references:` (pipelines/contracts/*.yaml; a test keeps them equal):
--   custody record  -> arrest_id has no loaded arrest version
--   contract        -> custody_ref has no loaded custody record
--   session         -> contract_ref has no loaded contract
-- A row whose own reference resolves but further up the chain does not (a contract whose
-- custody record is itself waiting for its arrest) is held back too, but listed only
-- through the row that actually misses its key.
with orphans as (

    select
        'raw.custody_records'      as source_table,
        custody_ref                as row_key,
        'raw.rms_arrests'          as missing_table,
        arrest_id                  as missing_key,
        source_month,
        file_name
    from {{ ref('int_custody_records__chained') }}
    where not arrest_found

    union all

    select 'raw.programme_contracts', contract_ref, 'raw.custody_records', custody_ref, source_month, file_name
    from {{ ref('int_contracts__chained') }}
    where not custody_found

    union all

    select 'raw.programme_sessions', session_key, 'raw.programme_contracts', contract_ref, source_month, file_name
    from {{ ref('int_sessions__chained') }}
    where not contract_found

)

select
    cast(source_table as varchar)   as source_table,
    cast(row_key as varchar)        as row_key,
    cast(missing_table as varchar)  as missing_table,
    cast(missing_key as varchar)    as missing_key,
    cast(source_month as varchar)   as source_month,
    cast(file_name as varchar)      as file_name
from orphans
order by source_table, source_month, row_key
