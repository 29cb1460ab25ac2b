with

source as (

    select * from {{ source('raw', 'gis_events') }}

),

renamed as (

    select
        -- keys
        source_file_sha256,
        cast(source_row_number as bigint) as source_row_number,
        cast(staff_pseudo_id as {{ dbt.type_string() }}) as staff_pseudo_id,

        -- attributes
        -- trimmed here, so facts and dim_department agree on the name; a blank name is 所属不明 (unknown)
        coalesce(nullif(trim(cast(department_name_ja as {{ dbt.type_string() }})), ''), '所属不明')
            as department_name_ja,
        cast(event_type as {{ dbt.type_string() }}) as event_type,
        cast(map_name_ja as {{ dbt.type_string() }}) as map_name_ja,

        -- timestamps
        cast(event_at as timestamp) as event_at,
        cast(event_at as date) as event_date,

        -- lineage
        source_file_name,
        cast(loaded_at as timestamp) as loaded_at

    from source

)

select * from renamed
