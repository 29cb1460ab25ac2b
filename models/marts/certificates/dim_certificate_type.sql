with

certificate_types as (

    select * from {{ ref('certificate_types') }}

),

final as (

    select
        certificate_type_code,
        name_ja as certificate_type_name_ja,
        name_en as certificate_type_name_en,
        sort_order

    from certificate_types

)

select * from final
