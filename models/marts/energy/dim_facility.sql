with

facilities as (

    select * from {{ ref('stg_ems__facilities') }}

),

monthly_readings as (

    select * from {{ ref('stg_ems__readings_monthly') }}

),

interval_readings as (

    select * from {{ ref('stg_ems__readings_interval') }}

),

registered as (

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
        loaded_at as version_loaded_at,
        true as is_registered

    from facilities

),

reading_codes as (

    select distinct facility_code from monthly_readings
    union
    select distinct facility_code from interval_readings

),

unregistered as (

    -- readings for a code the facility master does not (yet) list: kept, shown as 未登録の施設, and reported
    -- as a quality warning (mart_data_quality_warnings) instead of failing the build
    select
        reading_codes.facility_code,
        {{ dbt.concat(["'未登録の施設 '", "reading_codes.facility_code"]) }} as facility_name_ja,
        cast(null as {{ dbt.type_string() }}) as facility_kind_ja,
        cast(null as {{ dbt.type_string() }}) as address_ja,
        cast(null as {{ dbt.type_string() }}) as postal_code,
        cast(null as double) as latitude,
        cast(null as double) as longitude,
        false as is_school,
        cast(null as {{ dbt.type_string() }}) as source_layout,
        cast(null as timestamp) as version_loaded_at,
        false as is_registered

    from reading_codes
    left join registered
        on reading_codes.facility_code = registered.facility_code
    where registered.facility_code is null
        and reading_codes.facility_code is not null

),

final as (

    select * from registered
    union all
    select * from unregistered

)

select * from final
