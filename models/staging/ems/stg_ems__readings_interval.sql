with

source as (

    select * from {{ source('raw', 'energy_readings_interval') }}

),

renamed as (

    select
        -- keys
        cast(facility_code as {{ dbt.type_string() }}) as facility_code,
        cast(meter_type as {{ dbt.type_string() }}) as meter_type,

        -- timestamps
        cast(reading_start_at as timestamp) as reading_start_at,
        cast(reading_start_at as date) as reading_date,
        {{ month_start_of('reading_start_at') }} as reading_month_start_date,

        -- numerics
        cast(interval_minutes as integer) as interval_minutes,
        cast(usage_value as double) as usage_value,
        cast(usage_unit as {{ dbt.type_string() }}) as usage_unit,

        -- lineage
        source_file_name,
        source_file_sha256,
        cast(source_row_number as bigint) as source_row_number,
        cast(loaded_at as timestamp) as loaded_at

    from source

)

select * from renamed
