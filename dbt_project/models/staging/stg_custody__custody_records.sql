-- One row per custody record. The raw table holds only the accepted delivery in force for
-- each booked_in month (a `_vN` re-delivery replaced its month whole at ingest), and the same
-- custody_ref in another month's delivery was quarantined, so custody_ref is unique here.
with source as (

    select * from {{ source('raw', 'custody_records') }}

)

select
    cast(custody_ref as varchar)            as custody_ref,
    cast(arrest_id as varchar)              as arrest_id,
    cast(custody_suite as varchar)          as custody_suite,
    cast(booked_in as timestamp)            as booked_in,
    cast(booked_in as date)                 as booked_in_date,
    cast(released as timestamp)             as released,
    cast(gravity_score as integer)          as gravity_score,
    cast(checkpoint_eligible as varchar)    as checkpoint_eligible,
    cast(ineligible_reason as varchar)      as ineligible_reason,
    cast(checkpoint_offered as varchar)     as checkpoint_offered,
    cast(offer_response as varchar)         as offer_response,
    cast(custody_disposal as varchar)       as custody_disposal,
    cast(delivery_sha256 as varchar)        as delivery_sha256,
    cast(source_month as varchar)           as source_month,
    cast(delivery_version as integer)       as delivery_version,
    cast(file_name as varchar)              as file_name,
    cast("row_number" as integer)           as source_row_number
from source
