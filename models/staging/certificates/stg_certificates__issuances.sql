with

source as (

    select * from {{ source('raw', 'certificate_issuances') }}

),

renamed as (

    select
        -- keys
        cast(office_code as {{ dbt.type_string() }}) as office_code,
        cast(certificate_type_code as {{ dbt.type_string() }}) as certificate_type_code,
        cast(channel_code as {{ dbt.type_string() }}) as channel_code,

        -- dates
        cast(issued_date as date) as issued_date,

        -- numerics
        cast(issued_count as bigint) as issued_count,

        -- lineage
        source_file_name,
        source_file_sha256,
        cast(source_row_number as bigint) as source_row_number,
        cast(loaded_at as timestamp) as loaded_at

    from source

)

select * from renamed
