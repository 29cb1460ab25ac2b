with

source as (

    select * from {{ source('warehouse', 'open_data_items') }}

),

renamed as (

    select
        -- ids
        dataset_id,
        source_table,

        -- text
        title_ja,
        title_en,
        update_frequency
    from source

)

select * from renamed
