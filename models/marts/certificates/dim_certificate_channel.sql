with

channels as (

    select * from {{ ref('certificate_channels') }}

),

final as (

    select
        channel_code,
        name_ja as channel_name_ja,
        name_en as channel_name_en,
        is_at_office,
        sort_order

    from channels

)

select * from final
