with

source as (

    select * from {{ source('raw', 'web_access_log') }}

),

renamed as (

    select
        -- keys
        source_file_sha256,
        cast(source_row_number as bigint) as source_row_number,
        cast(client_hash as {{ dbt.type_string() }}) as client_hash,

        -- request
        cast(http_method as {{ dbt.type_string() }}) as http_method,
        cast(request_path as {{ dbt.type_string() }}) as request_path,
        cast(referrer_host as {{ dbt.type_string() }}) as referrer_host,
        cast(device_type as {{ dbt.type_string() }}) as device_type,

        -- response
        cast(http_status as integer) as http_status,
        case
            when http_status between 100 and 199 then '1xx'
            when http_status between 200 and 299 then '2xx'
            when http_status between 300 and 399 then '3xx'
            when http_status between 400 and 499 then '4xx'
            when http_status between 500 and 599 then '5xx'
            else 'other'
        end as http_status_class,
        cast(response_bytes as bigint) as response_bytes,

        -- booleans
        cast(is_bot as boolean) as is_bot,
        cast(is_page as boolean) as is_page,

        -- timestamps
        cast(requested_at as timestamp) as requested_at,
        cast(requested_at as date) as request_date,

        -- lineage
        source_file_name,
        cast(loaded_at as timestamp) as loaded_at

    from source

)

select * from renamed
