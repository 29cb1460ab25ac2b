with

facilities as (

    select * from {{ ref('stg_ems__facilities') }}

),

final as (

    select
        facility_code,
        facility_name_ja,
        facility_kind_ja,
        address_ja,
        postal_code,
        latitude,
        longitude,
        is_school,
        source_layout,
        loaded_at as version_loaded_at

    from facilities

)

select * from final
