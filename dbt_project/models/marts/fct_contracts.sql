-- One row per contract whose chain reaches a loaded arrest, described by its row in the
-- latest workbook that loaded it, with the arrest's breakdown attributes.
select
    cast(contract_ref as varchar)                       as contract_ref,
    cast(custody_ref as varchar)                        as custody_ref,
    cast(arrest_id as varchar)                          as arrest_id,
    cast(person_pseudonym as varchar)                   as person_pseudonym,
    cast(start_date as date)                            as start_date,
    cast({{ period_of('start_date') }} as varchar)      as start_month,
    cast(planned_end_date as date)                      as planned_end_date,
    cast(status as varchar)                             as status,
    cast(status_date as date)                           as status_date,
    cast({{ period_of('status_date') }} as varchar)     as status_month,
    cast(failure_reason as varchar)                     as failure_reason,
    cast(sex as varchar)                                as sex,
    cast(age_band as varchar)                           as age_band,
    cast(ethnicity_group as varchar)                    as ethnicity_group,
    cast(drug_class_category as varchar)                as drug_class_category,
    cast(offence_group as varchar)                      as offence_group,
    cast(source_month as varchar)                       as source_month,
    cast(delivery_version as integer)                   as delivery_version,
    cast(file_name as varchar)                          as file_name
from {{ ref('int_contracts__chained') }}
where is_chain_complete
