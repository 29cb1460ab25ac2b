with

offices as (

    select * from {{ ref('certificate_offices') }}

),

final as (

    select
        office_code,
        name_ja as office_name_ja,
        name_en as office_name_en,
        office_code <> 'none' as is_office,
        sort_order

    from offices

)

select * from final
