with

source as (

    select * from {{ source('raw', 'web_page_views_daily') }}

),

renamed as (

    select
        -- keys
        cast(page_path as {{ dbt.type_string() }}) as page_path,
        cast(device_type as {{ dbt.type_string() }}) as device_type,

        -- dates
        cast(access_date as date) as access_date,

        -- text
        cast(page_title_ja as {{ dbt.type_string() }}) as page_title_ja,

        -- numerics
        cast(page_view_count as bigint) as page_view_count,

        -- lineage
        source_file_name,
        source_file_sha256,
        cast(source_row_number as bigint) as source_row_number,
        cast(loaded_at as timestamp) as loaded_at

    from source

)

select * from renamed
